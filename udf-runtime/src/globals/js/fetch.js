// Headers, Blob, File, Request and Response (bodies held in memory, read
// whole or as a ReadableStream), `fetch` (actions only: the host performs
// each request, redirects are followed here as the Fetch standard says; an
// aborted `signal` rejects it), plus the conversions HTTP actions use to
// cross into Rust.

import { toBytes } from "basalt:encoding";
import { AbortSignal, neverAborted } from "basalt:events";
import { ReadableStream, isDisturbed, streamOf, takeAllQueued } from "basalt:streams";

const encoder = () => new TextEncoder();
const decoder = () => new TextDecoder();

function normalizeName(name) {
  const n = String(name);
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(n)) throw new TypeError(`Header name is not valid: ${n}`);
  return n.toLowerCase();
}

function normalizeValue(value) {
  return String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
}

export class Headers {
  #map = new Map();
  constructor(init) {
    if (init instanceof Headers) {
      for (const [k, v] of init) this.append(k, v);
    } else if (Array.isArray(init) || (init && typeof init[Symbol.iterator] === "function")) {
      for (const pair of init) {
        const p = [...pair];
        if (p.length !== 2) throw new TypeError("Header pair must be [name, value]");
        this.append(p[0], p[1]);
      }
    } else if (init !== undefined && init !== null) {
      for (const key of Object.keys(init)) this.append(key, init[key]);
    }
  }
  append(name, value) {
    const n = normalizeName(name);
    const v = normalizeValue(value);
    const list = this.#map.get(n);
    if (list) list.push(v);
    else this.#map.set(n, [v]);
  }
  delete(name) {
    this.#map.delete(normalizeName(name));
  }
  get(name) {
    const list = this.#map.get(normalizeName(name));
    return list === undefined ? null : list.join(", ");
  }
  getSetCookie() {
    return [...(this.#map.get("set-cookie") ?? [])];
  }
  has(name) {
    return this.#map.has(normalizeName(name));
  }
  set(name, value) {
    this.#map.set(normalizeName(name), [normalizeValue(value)]);
  }
  forEach(callback, thisArg) {
    for (const [k, v] of this) callback.call(thisArg, v, k, this);
  }
  *entries() {
    for (const key of [...this.#map.keys()].sort()) {
      if (key === "set-cookie") {
        for (const v of this.#map.get(key)) yield [key, v];
      } else {
        yield [key, this.#map.get(key).join(", ")];
      }
    }
  }
  *keys() {
    for (const [k] of this.entries()) yield k;
  }
  *values() {
    for (const [, v] of this.entries()) yield v;
  }
  [Symbol.iterator]() {
    return this.entries();
  }
  get [Symbol.toStringTag]() {
    return "Headers";
  }
}

function partBytes(part) {
  if (part instanceof Blob) return part._bytes();
  if (part instanceof ArrayBuffer || ArrayBuffer.isView(part)) return toBytes(part, "Blob").slice();
  return encoder().encode(String(part));
}

/// One Uint8Array holding `arrays` one after the other.
function concatBytes(arrays) {
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

export class Blob {
  #bytes;
  #type;
  constructor(parts = [], options = {}) {
    this.#bytes = concatBytes(Array.from(parts, partBytes));
    const type = options?.type === undefined ? "" : String(options.type);
    this.#type = /[^\x20-\x7e]/.test(type) ? "" : type.toLowerCase();
  }
  _bytes() {
    return this.#bytes;
  }
  get size() {
    return this.#bytes.length;
  }
  get type() {
    return this.#type;
  }
  slice(start = 0, end = this.size, type = "") {
    return new Blob([this.#bytes.slice(start, end)], { type });
  }
  async arrayBuffer() {
    return this.#bytes.slice().buffer;
  }
  async bytes() {
    return this.#bytes.slice();
  }
  async text() {
    return decoder().decode(this.#bytes);
  }
  get [Symbol.toStringTag]() {
    return "Blob";
  }
}

export class File extends Blob {
  #name;
  #lastModified;
  constructor(parts, name, options = {}) {
    super(parts, options);
    this.#name = String(name);
    this.#lastModified = options?.lastModified ?? Date.now();
  }
  get name() {
    return this.#name;
  }
  get lastModified() {
    return this.#lastModified;
  }
  get [Symbol.toStringTag]() {
    return "File";
  }
}

/// Reads a body init into bytes (a ReadableStream passes through) and a
/// default content type.
function extractBody(body) {
  if (body === undefined || body === null) return [null, null];
  if (body instanceof ReadableStream) return [body, null];
  if (typeof body === "string") return [encoder().encode(body), "text/plain;charset=UTF-8"];
  if (body instanceof URLSearchParams) {
    return [encoder().encode(body.toString()), "application/x-www-form-urlencoded;charset=UTF-8"];
  }
  if (body instanceof Blob) return [body._bytes(), body.type || null];
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return [toBytes(body, "body").slice(), null];
  return [encoder().encode(String(body)), "text/plain;charset=UTF-8"];
}

/// The bytes of a body given as a ReadableStream of byte chunks.
function concatChunks(chunks) {
  return concatBytes(
    chunks.map((chunk) => {
      if (!(chunk instanceof ArrayBuffer || ArrayBuffer.isView(chunk))) {
        throw new TypeError("A body stream must give Uint8Array chunks");
      }
      return toBytes(chunk, "body chunk");
    }),
  );
}

async function readAll(stream) {
  const reader = stream.getReader();
  const chunks = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  reader.releaseLock();
  return concatChunks(chunks);
}

/// A Request's or Response's body: bytes (or null), or a ReadableStream it
/// was made from. `body` gives a stream either way, made on first use.
class Body {
  #bytes = null;
  #source = null;
  #stream = null;
  #used = false;
  _initBody(init) {
    if (init instanceof ReadableStream) {
      if (init.locked || isDisturbed(init)) throw new TypeError("Response body object should not be disturbed or locked");
      this.#source = init;
    } else {
      this.#bytes = init;
    }
  }
  get body() {
    if (this.#stream === null) {
      if (this.#source !== null) this.#stream = this.#source;
      else if (this.#bytes !== null) this.#stream = streamOf(this.#bytes);
    }
    return this.#stream;
  }
  get bodyUsed() {
    return this.#used || (this.#stream !== null && isDisturbed(this.#stream));
  }
  async _consume() {
    if (this.bodyUsed || this.#stream?.locked) {
      throw new TypeError("Body is unusable: Body has already been read");
    }
    this.#used = true;
    if (this.#source !== null) return readAll(this.#source);
    return this.#bytes ?? new Uint8Array(0);
  }
  /// The whole body now, for crossing into Rust; a stream body must already
  /// hold all its chunks and be closed.
  _peek() {
    if (this.#source === null) return this.#bytes;
    const chunks = takeAllQueued(this.#source);
    if (chunks === undefined) {
      throw new TypeError("A body from a ReadableStream must be complete (closed, with every chunk enqueued) before it is sent");
    }
    this.#bytes = concatChunks(chunks);
    this.#source = null;
    this.#stream = null;
    return this.#bytes;
  }
  async arrayBuffer() {
    return (await this._consume()).slice().buffer;
  }
  async bytes() {
    return (await this._consume()).slice();
  }
  async text() {
    return decoder().decode(await this._consume());
  }
  async json() {
    return JSON.parse(await this.text());
  }
  async blob() {
    return new Blob([await this._consume()], { type: this.headers.get("content-type") ?? "" });
  }
  async formData() {
    const params = new URLSearchParams(await this.text());
    const form = new FormData();
    for (const [k, v] of params) form.append(k, v);
    return form;
  }
}

export class FormData {
  #entries = [];
  append(name, value, filename) {
    this.#entries.push([String(name), value instanceof Blob ? value : String(value), filename]);
  }
  delete(name) {
    this.#entries = this.#entries.filter(([k]) => k !== String(name));
  }
  get(name) {
    const e = this.#entries.find(([k]) => k === String(name));
    return e ? e[1] : null;
  }
  getAll(name) {
    return this.#entries.filter(([k]) => k === String(name)).map(([, v]) => v);
  }
  has(name) {
    return this.#entries.some(([k]) => k === String(name));
  }
  set(name, value, filename) {
    this.delete(name);
    this.append(name, value, filename);
  }
  *entries() {
    for (const [k, v] of this.#entries) yield [k, v];
  }
  [Symbol.iterator]() {
    return this.entries();
  }
}

export class Request extends Body {
  #url;
  #method;
  #headers;
  #signal;
  constructor(input, init = {}) {
    super();
    const source = input instanceof Request ? input : null;
    this.#url = new URL(source ? source.url : String(input)).href;
    this.#method = String(init.method ?? source?.method ?? "GET").toUpperCase();
    this.#headers = new Headers(init.headers ?? source?.headers);
    const signal = init.signal ?? source?.signal ?? neverAborted();
    if (!(signal instanceof AbortSignal)) {
      throw new TypeError("Failed to construct 'Request': member signal is not of type AbortSignal.");
    }
    this.#signal = signal;
    const bodyInit = init.body !== undefined ? init.body : source ? source._peek() : null;
    if (bodyInit !== null && bodyInit !== undefined && (this.#method === "GET" || this.#method === "HEAD")) {
      throw new TypeError("Request with GET/HEAD method cannot have body.");
    }
    const [bytes, type] = extractBody(bodyInit);
    if (type && !this.#headers.has("content-type")) this.#headers.set("content-type", type);
    this._initBody(bytes);
  }
  get url() {
    return this.#url;
  }
  get method() {
    return this.#method;
  }
  get headers() {
    return this.#headers;
  }
  get signal() {
    return this.#signal;
  }
  clone() {
    return new Request(this);
  }
  get [Symbol.toStringTag]() {
    return "Request";
  }
}

const STATUS_TEXT = { 200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently", 302: "Found", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error" };

export class Response extends Body {
  #status;
  #statusText;
  #headers;
  #url = "";
  #redirected = false;
  constructor(body = null, init = {}) {
    super();
    const status = init.status ?? 200;
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`Failed to construct 'Response': The status provided (${status}) is outside the range [200, 599].`);
    }
    this.#status = status;
    this.#statusText = init.statusText === undefined ? "" : String(init.statusText);
    this.#headers = new Headers(init.headers);
    const [bytes, type] = extractBody(body);
    if (type && !this.#headers.has("content-type")) this.#headers.set("content-type", type);
    this._initBody(bytes);
  }
  static json(data, init = {}) {
    const headers = new Headers(init.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    return new Response(JSON.stringify(data), { ...init, headers });
  }
  static redirect(url, status = 302) {
    return new Response(null, { status, headers: { location: new URL(url).href } });
  }
  static error() {
    const r = new Response(null, { status: 200 });
    r.#status = 0;
    return r;
  }
  /// The response the host answered for a fetch of `url`.
  static _fromFetch(spec, url) {
    const r = new Response(null, { headers: spec.headers });
    r.#status = spec.status;
    r.#statusText = spec.statusText ?? "";
    r.#url = url;
    r._initBody(NULL_BODY_STATUSES.includes(spec.status) ? null : fromBase64(spec.body ?? ""));
    return r;
  }
  _markRedirected() {
    this.#redirected = true;
  }
  get status() {
    return this.#status;
  }
  get ok() {
    return this.#status >= 200 && this.#status < 300;
  }
  get statusText() {
    return this.#statusText || STATUS_TEXT[this.#status] || "";
  }
  get headers() {
    return this.#headers;
  }
  get url() {
    return this.#url;
  }
  get type() {
    return "default";
  }
  get redirected() {
    return this.#redirected;
  }
  clone() {
    return new Response(this._peek(), { status: this.#status, statusText: this.#statusText, headers: this.#headers });
  }
  get [Symbol.toStringTag]() {
    return "Response";
  }
}

function toBase64(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/// `{url, method, headers: [[k, v]], body: base64|null}` → Request.
export function requestFromConvexJson(convexJson) {
  const spec = typeof convexJson === "string" ? JSON.parse(convexJson) : convexJson;
  return new Request(spec.url, {
    method: spec.method,
    headers: spec.headers,
    body: spec.body === null || spec.body === undefined ? null : fromBase64(spec.body),
  });
}

/// Response → `{status, statusText, headers: [[k, v]], body: base64|null}`.
export function convexJsonFromResponse(response) {
  if (!(response instanceof Response)) {
    throw new Error("HTTP action did not return a Response object");
  }
  const body = response._peek();
  return {
    status: response.status,
    statusText: response.statusText,
    headers: [...response.headers],
    body: body === null || body === undefined ? null : toBase64(body),
  };
}

const NULL_BODY_STATUSES = [101, 103, 204, 205, 304];
const REDIRECT_STATUSES = [301, 302, 303, 307, 308];
const REQUEST_BODY_HEADERS = ["content-encoding", "content-language", "content-location", "content-type"];
const MAX_REDIRECTS = 20;

async function fetchOnce(request) {
  const body = request._peek();
  const spec = {
    url: request.url,
    method: request.method,
    headers: [...request.headers],
    body: body === null || body === undefined ? null : toBase64(body),
  };
  const answer = await globalThis.Convex.asyncSyscall("basalt/fetch", JSON.stringify(spec));
  return Response._fromFetch(JSON.parse(answer), request.url);
}

/// `fetch(resource, options)`; `options.redirect` is "follow" (default),
/// "manual" (return the 3xx) or "error"; `options.signal` an AbortSignal.
export async function fetch(resource, options) {
  let request = new Request(resource, options);
  const { signal } = request;
  signal.throwIfAborted();
  // Rejects with the signal's reason if it is aborted before the answer
  // comes; the host's request itself runs to its end, unseen. (Only code
  // running while the request is still queued can abort it: once the host
  // sends a batch, no JavaScript, timers included, runs until it answers.)
  let stopWatching;
  const aborted = new Promise((_, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort);
    stopWatching = () => signal.removeEventListener("abort", onAbort);
  });
  try {
    return await followRedirects(request, options, (r) => Promise.race([fetchOnce(r), aborted]));
  } finally {
    stopWatching();
  }
}

/// Sends `request` with `send`, following redirects as `options.redirect`
/// says.
async function followRedirects(request, options, send) {
  let response = await send(request);
  const mode = options?.redirect ?? "follow";
  if (mode === "manual") return response;
  for (let redirects = 0; redirects < MAX_REDIRECTS; redirects++) {
    if (!REDIRECT_STATUSES.includes(response.status)) return response;
    if (mode === "error") throw new TypeError("fetch attempted redirect");
    const location = response.headers.get("location");
    if (location === null) return response;
    const target = new URL(location, request.url);
    const headers = new Headers(request.headers);
    let method = request.method;
    let body = request._peek();
    const status = response.status;
    if (((status === 301 || status === 302) && method === "POST") || (status === 303 && method !== "GET" && method !== "HEAD")) {
      method = "GET";
      body = null;
      for (const name of REQUEST_BODY_HEADERS) headers.delete(name);
    }
    if (new URL(request.url).origin !== target.origin) headers.delete("authorization");
    request = new Request(target.href, { method, headers, body, signal: request.signal });
    response = await send(request);
    response._markRedirected();
  }
  throw new TypeError("fetch too many redirects");
}

export function installFetchTypes(g) {
  Object.assign(g, { Headers, Blob, File, FormData, Request, Response, fetch });
}
