// Actions: nested queries and mutations, scheduling, and the web globals.
import { v } from "convex/values";
import { action, internalMutation } from "./_generated/server";
import { api, internal } from "./_generated/api";

export const sendAndCount = action({
  args: { author: v.string(), body: v.string() },
  returns: v.object({ id: v.id("messages"), count: v.number() }),
  handler: async (ctx, { author, body }): Promise<{ id: any; count: number }> => {
    const id = await ctx.runMutation(api.messages.send, { author, body });
    const count = await ctx.runQuery(internal.messages.count, { author });
    console.log("author", author, "has", count);
    return { id, count };
  },
});

export const failNested = action({
  args: {},
  handler: async (ctx) => {
    try {
      await ctx.runMutation(api.messages.fail, {});
      return "no error";
    } catch (e: any) {
      return { name: e.name, data: e.data };
    }
  },
});

export const later = internalMutation({
  args: { author: v.string() },
  handler: async (ctx, { author }) => {
    return await ctx.scheduler.runAfter(1000, internal.messages.clearAuthor, { author });
  },
});

export const webGlobals = action({
  args: { text: v.string() },
  handler: async (_ctx, { text }) => {
    const bytes = new TextEncoder().encode(text);
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    const hex = Array.from(new Uint8Array(digest))
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    const url = new URL("https://example.com/a/b?x=1");
    url.searchParams.append("text", text);
    return {
      decoded: new TextDecoder().decode(bytes),
      length: bytes.length,
      sha256: hex,
      url: url.toString(),
      b64: btoa(text),
      uuidLength: crypto.randomUUID().length,
      cloned: structuredClone({ a: [1, 2, { b: text }] }),
    };
  },
});

// fetch(): a JSON API call (redirects followed as browsers do), and several
// requests in flight at once, failures caught per request.
export const fetchJson = action({
  args: { url: v.string(), method: v.optional(v.string()) },
  handler: async (_ctx, { url, method }) => {
    const response = await fetch(url, {
      method: method ?? "POST",
      headers: { "content-type": "application/json", "x-app": "basalt-example" },
      body: method === "GET" ? undefined : JSON.stringify({ hello: "world" }),
    });
    return {
      status: response.status,
      ok: response.ok,
      redirected: response.redirected,
      url: response.url,
      contentType: response.headers.get("content-type"),
      body: await response.json(),
    };
  },
});

export const fetchAll = action({
  args: { urls: v.array(v.string()) },
  handler: async (_ctx, { urls }) => {
    return await Promise.all(
      urls.map(async (url) => {
        try {
          const response = await fetch(url);
          return `${response.status} ${await response.text()}`;
        } catch (e: any) {
          return `error: ${e.message}`;
        }
      }),
    );
  },
});

// AbortController, AbortSignal and events, as SDKs use them around fetch().
export const cancellation = action({
  args: { url: v.string() },
  handler: async (_ctx, { url }) => {
    const seen: string[] = [];
    const controller = new AbortController();
    controller.signal.addEventListener("abort", (e) => seen.push(`listener:${e.type}`));
    controller.signal.onabort = () => seen.push("onabort");
    controller.signal.addEventListener("abort", () => seen.push("once"), { once: true });
    const live = await fetch(url, { signal: controller.signal });
    controller.abort();
    controller.abort();
    let rejected = "";
    try {
      await fetch(url, { signal: controller.signal });
    } catch (e: any) {
      rejected = `${e.name} ${e.code} ${e instanceof DOMException}`;
    }
    const inFlight = new AbortController();
    const pending = fetch(url, { signal: inFlight.signal });
    inFlight.abort(new Error("changed my mind"));
    let abortedInFlight = "";
    try {
      await pending;
    } catch (e: any) {
      abortedInFlight = e.message;
    }
    let thrown = "";
    try {
      controller.signal.throwIfAborted();
    } catch (e: any) {
      thrown = e.name;
    }
    const either = AbortSignal.any([new AbortController().signal, AbortSignal.abort("why")]);
    const timedOut = await new Promise<string>((resolve) => {
      const signal = AbortSignal.timeout(5);
      signal.addEventListener("abort", () => resolve(signal.reason.name));
    });
    const target = new EventTarget();
    let detail: unknown = null;
    target.addEventListener("ping", () => {
      throw new Error("listener failed");
    });
    target.addEventListener("ping", (e) => {
      detail = (e as CustomEvent).detail;
    });
    const notCancelled = target.dispatchEvent(new CustomEvent("ping", { detail: 42 }));
    return {
      status: live.status,
      seen,
      aborted: controller.signal.aborted,
      rejected,
      abortedInFlight,
      thrown,
      anyReason: either.reason,
      timedOut,
      detail,
      notCancelled,
      self: (globalThis as any).self === globalThis,
    };
  },
});

// Subclassed at module level, as the AI SDK does with TransformStream: the
// web globals exist while modules load (and are analysed at push).
class UpperCase extends TransformStream<string, string> {
  constructor() {
    super({
      transform(chunk, controller) {
        controller.enqueue(chunk.toUpperCase());
      },
    });
  }
}

// Bodies as ReadableStreams (how SDKs read server-sent events), and streams
// built by user code.
export const streams = action({
  args: { url: v.string() },
  handler: async (_ctx, { url }) => {
    const decoder = new TextDecoder();
    const response = await fetch(url);
    const reader = response.body!.getReader();
    let fetched = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      fetched += decoder.decode(value, { stream: true });
    }
    const used = response.bodyUsed;

    // A stream pulled chunk by chunk, read whole by a Response.
    let n = 0;
    const counting = new ReadableStream<Uint8Array>({
      pull(controller) {
        n += 1;
        if (n > 3) controller.close();
        else controller.enqueue(new TextEncoder().encode(`${n};`));
      },
    });
    const pulled = await new Response(counting).text();

    // Iteration, tee and cancel.
    const [a, b] = ReadableStream.from(["x", "y", "z"]).tee();
    const iterated: string[] = [];
    for await (const chunk of a as any) iterated.push(chunk);
    const other = b.getReader();
    const second: string[] = [];
    for (let r = await other.read(); !r.done; r = await other.read()) second.push(r.value);
    let cancelledWith = "";
    const ticking = new ReadableStream<string>({
      pull(controller) {
        controller.enqueue("tick");
      },
      cancel(reason) {
        cancelledWith = String(reason);
      },
    });
    const ticks = ticking.getReader();
    const first = await ticks.read();
    let locked = "";
    try {
      ticking.getReader();
    } catch (e: any) {
      locked = e.message;
    }
    await ticks.cancel("enough");
    const afterCancel = await ticks.read();

    // A source that fails: reading the body rejects with its error.
    const failing = new ReadableStream({
      start(controller) {
        controller.error(new Error("broken source"));
      },
    });
    let failed = "";
    try {
      await new Response(failing).text();
    } catch (e: any) {
      failed = e.message;
    }
    // Bytes cut inside a character, decoded, transformed and written out.
    const cut = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([0x68, 0xc3])); // "h", half of "é"
        controller.enqueue(new Uint8Array([0xa9, 0x21])); // the rest, "!"
        controller.close();
      },
    });
    const written: string[] = [];
    await cut
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(new UpperCase())
      .pipeTo(
        new WritableStream({
          write(chunk) {
            written.push(chunk);
          },
        }),
      );
    const encoded = await new Response(
      ReadableStream.from(["é", "!"]).pipeThrough(new TextEncoderStream()),
    ).text();
    return {
      fetched,
      used,
      pulled,
      written,
      encoded,
      iterated,
      second,
      first: first.value,
      locked,
      cancelledWith,
      afterCancel: afterCancel.done,
      failed,
    };
  },
});

// crypto.subtle with keys from other tools: HMAC, RSA and Ed25519 signatures
// (deterministic, so comparable with OpenSSL's) and an ECDSA round trip.
export const webCrypto = action({
  args: {
    message: v.string(),
    rsaPkcs8: v.string(),
    rsaSpki: v.string(),
    edPkcs8: v.string(),
    edSpki: v.string(),
    ecJwk: v.object({ kty: v.string(), crv: v.string(), x: v.string(), y: v.string(), d: v.string() }),
  },
  handler: async (_ctx, k) => {
    const subtle = crypto.subtle;
    const enc = new TextEncoder();
    const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const b64 = (buf: ArrayBuffer) => btoa(String.fromCharCode(...new Uint8Array(buf)));
    const hex = (buf: ArrayBuffer) =>
      Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
    const msg = enc.encode(k.message);

    const jefe = { name: "HMAC", hash: "SHA-256" };
    const hmacKey = await subtle.importKey("raw", enc.encode("Jefe"), jefe, true, ["sign", "verify"]);
    const rfc = enc.encode("what do ya want for nothing?");
    const mac = await subtle.sign("HMAC", hmacKey, rfc);

    const rsa = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    const rsaPrivate = await subtle.importKey("pkcs8", bytes(k.rsaPkcs8), rsa, false, ["sign"]);
    const rsaPublic = await subtle.importKey("spki", bytes(k.rsaSpki), rsa, true, ["verify"]);
    const rsaSig = await subtle.sign("RSASSA-PKCS1-v1_5", rsaPrivate, msg);
    const rsaJwk = await subtle.exportKey("jwk", rsaPublic);
    const rsaFromJwk = await subtle.importKey("jwk", rsaJwk, rsa, true, ["verify"]);

    const edPrivate = await subtle.importKey("pkcs8", bytes(k.edPkcs8), "Ed25519", false, ["sign"]);
    const edPublic = await subtle.importKey("spki", bytes(k.edSpki), "Ed25519", true, ["verify"]);
    const edSig = await subtle.sign("Ed25519", edPrivate, msg);

    const ec = { name: "ECDSA", namedCurve: "P-256" };
    const ecPrivate = await subtle.importKey("jwk", k.ecJwk, ec, false, ["sign"]);
    const { d: _d, ...ecPublicJwk } = k.ecJwk;
    const ecPublic = await subtle.importKey("jwk", ecPublicJwk, ec, true, ["verify"]);
    const ecSig = await subtle.sign({ name: "ECDSA", hash: "SHA-256" }, ecPrivate, msg);
    const ecSpki = await subtle.exportKey("spki", ecPublic);
    const ecFromSpki = await subtle.importKey("spki", ecSpki, ec, true, ["verify"]);

    const failure = async (f: () => Promise<unknown>) => {
      try {
        await f();
        return "none";
      } catch (e: any) {
        return `${e.name}: ${e.message}`;
      }
    };
    return {
      hmac: hex(mac),
      hmacVerifies: await subtle.verify("HMAC", hmacKey, mac, rfc),
      hmacJwk: await subtle.exportKey("jwk", hmacKey),
      rsaSignature: b64(rsaSig),
      rsaVerifies: await subtle.verify("RSASSA-PKCS1-v1_5", rsaFromJwk, rsaSig, msg),
      rsaRejectsOther: await subtle.verify("RSASSA-PKCS1-v1_5", rsaPublic, rsaSig, enc.encode("other")),
      rsaAlgorithm: { ...rsaPublic.algorithm, publicExponent: hex(rsaPublic.algorithm.publicExponent.buffer) },
      edSignature: b64(edSig),
      edVerifies: await subtle.verify("Ed25519", edPublic, edSig, msg),
      ecVerifies: await subtle.verify({ name: "ECDSA", hash: "SHA-256" }, ecFromSpki, ecSig, msg),
      ecSignatureLength: ecSig.byteLength,
      sha1: hex(await subtle.digest("SHA-1", enc.encode("abc"))),
      pbkdf2: hex(
        await subtle.deriveBits(
          { name: "PBKDF2", hash: "SHA-256", salt: enc.encode("salt"), iterations: 2 },
          await subtle.importKey("raw", enc.encode("password"), "PBKDF2", false, ["deriveBits"]),
          256,
        ),
      ),
      isCryptoKey: hmacKey instanceof CryptoKey && String(hmacKey) === "[object CryptoKey]",
      signWithPublic: await failure(() => subtle.sign("RSASSA-PKCS1-v1_5", rsaPublic, msg)),
      exportPrivate: await failure(() => subtle.exportKey("pkcs8", rsaPrivate)),
      badKey: await failure(() => subtle.importKey("spki", enc.encode("nope"), rsa, true, ["verify"])),
      aes: await failure(() => subtle.importKey("raw", new Uint8Array(16), "AES-GCM", false, ["encrypt"])),
    };
  },
});
