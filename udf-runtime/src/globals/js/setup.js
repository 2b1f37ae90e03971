// Entry point of Basalt's runtime JavaScript, evaluated once per context:
// installs the `Convex` syscall global, `console`, `process.env`, the
// deterministic clock and RNG and the web globals, then exports the hooks the
// Rust side drives (`reset`, `settle`, `describeError`, `setEnv`).

import { installConsole } from "basalt:console";
import { installDeterminism, resetDeterminism } from "basalt:determinism";
import { installTimers, nextTimerDelay, runNextTimers, clearTimers } from "basalt:timers";

const g = globalThis;
const host = g.__basaltHost;
delete g.__basaltHost;

// --- Convex: the syscall ABI used by the bundled `convex/server` code ---
const pending = new Map();

function asyncSyscall(op, args) {
  let handle;
  try {
    handle = host.asyncSyscall(op, args);
  } catch (e) {
    return Promise.reject(e);
  }
  if (typeof handle === "string") return Promise.resolve(handle);
  return new Promise((resolve, reject) => {
    pending.set(handle, [resolve, reject]);
  });
}

// --- web globals, loaded on first use (most functions never touch them) ---
const WEB_GLOBALS = [
  "TextEncoder", "TextDecoder", "crypto", "structuredClone", "URL", "URLSearchParams",
  "Headers", "Blob", "File", "FormData", "Request", "Response", "fetch",
  "DOMException", "Event", "CustomEvent", "EventTarget", "AbortController", "AbortSignal",
  "ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamDefaultController",
  "WritableStream", "WritableStreamDefaultWriter", "WritableStreamDefaultController",
  "TransformStream", "TransformStreamDefaultController", "TextDecoderStream", "TextEncoderStream",
  "CryptoKey",
];
let webCache = null;
function web() {
  if (webCache === null) {
    webCache = host.requireBuiltin("basalt:web").webGlobals(host);
  }
  return webCache;
}
function defineGlobal(name, value) {
  Object.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false });
}
for (const name of WEB_GLOBALS) {
  Object.defineProperty(g, name, {
    configurable: true,
    enumerable: false,
    get() {
      const value = web()[name];
      defineGlobal(name, value);
      return value;
    },
    set(value) {
      defineGlobal(name, value);
    },
  });
}

function jsSyscall(op, args) {
  switch (op) {
    case "requestFromConvexJson":
      return web().requestFromConvexJson(args.convexJson);
    case "convexJsonFromResponse":
      return web().convexJsonFromResponse(args.response);
    default:
      throw new Error(`Unknown JS syscall: ${op}`);
  }
}

const Convex = Object.freeze({
  syscall: (op, args) => host.syscall(op, args),
  asyncSyscall,
  jsSyscall,
});
Object.defineProperty(g, "Convex", { value: Convex, writable: false, configurable: false });
// As on Convex (and in workers): libraries probe `self` for a web-like global.
defineGlobal("self", g);

// --- process.env: one object, updated in place (modules capture it) ---
const env = {};
Object.defineProperty(g, "process", {
  value: { env, platform: "basalt", version: "v0.0.0", versions: {} },
  writable: true,
  configurable: true,
});

installDeterminism(g);
installConsole(g, host);
installTimers(g);
if (typeof g.atob !== "function" || typeof g.btoa !== "function") {
  throw new Error("the JavaScript engine lacks atob/btoa");
}

// --- hooks for the Rust driver ---
export function reset(a, b, c, d, nowMs, frozen) {
  resetDeterminism(a, b, c, d, nowMs, frozen);
}

// While auth.config.js is evaluated, reading a variable that is not set
// throws (Convex's AuthConfigMissingEnvironmentVariable) instead of
// yielding undefined.
const strictEnv = new Proxy(env, {
  get(target, name, receiver) {
    if (typeof name === "string" && !Reflect.has(target, name)) {
      throw new Error(
        `Environment variable ${name} is used in auth config file but its value was not set`,
      );
    }
    return Reflect.get(target, name, receiver);
  },
});

export function setStrictEnv(on) {
  g.process.env = on ? strictEnv : env;
}

export function setEnv(json) {
  const vars = JSON.parse(json);
  for (const key of Object.keys(env)) delete env[key];
  Object.assign(env, vars);
}

/// Settles a queued async syscall: `ok` → resolve with the JSON text, else
/// reject with `Error(message)`; `data` (JSON text) marks a ConvexError.
export function settle(id, ok, payload, data) {
  const entry = pending.get(id);
  if (entry === undefined) return;
  pending.delete(id);
  if (ok) {
    entry[0](payload);
  } else {
    const error = new Error(payload);
    if (data !== undefined) error.data = JSON.parse(data);
    entry[1](error);
  }
}

export function clearPending() {
  pending.clear();
}

/// Describes a thrown value as JSON: {message, stack, data?}.
export function describeError(e) {
  let message;
  let stack = "";
  let data;
  if (e !== null && typeof e === "object" && "message" in e) {
    const name = e.name === undefined ? "Error" : String(e.name);
    const text = String(e.message);
    message = `Uncaught ${name}: ${text}`;
    try {
      stack = e.stack === undefined ? "" : String(e.stack);
    } catch {}
    const sym = e.ConvexErrorSymbol;
    if (sym !== undefined && e[sym] === true) {
      data = typeof e.data === "string" ? e.data : JSON.stringify(e.data ?? null);
    }
  } else {
    message = `Uncaught ${typeof e === "string" ? e : host.inspect(e)}`;
  }
  return JSON.stringify({ message, stack, data });
}

export { nextTimerDelay, runNextTimers, clearTimers };
