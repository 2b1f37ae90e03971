// structuredClone for the value types user code passes around.

import { DOMException } from "basalt:events";

function cloneValue(value, seen) {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) {
    if (typeof value === "symbol") throw new DOMException(`${String(value)} could not be cloned.`, "DataCloneError");
    return value;
  }
  if (typeof value === "function") throw new DOMException(`${value.name || "function"} could not be cloned.`, "DataCloneError");
  if (seen.has(value)) return seen.get(value);
  let out;
  if (Array.isArray(value)) {
    out = new Array(value.length);
    seen.set(value, out);
    for (const key of Object.keys(value)) out[key] = cloneValue(value[key], seen);
    return out;
  }
  if (value instanceof Date) out = new Date(value.getTime());
  else if (value instanceof RegExp) out = new RegExp(value.source, value.flags);
  else if (value instanceof ArrayBuffer) out = value.slice(0);
  else if (ArrayBuffer.isView(value)) {
    const buffer = cloneValue(value.buffer, seen);
    const Ctor = value.constructor;
    out = value instanceof DataView ? new DataView(buffer, value.byteOffset, value.byteLength) : new Ctor(buffer, value.byteOffset, value.length);
  } else if (value instanceof Map) {
    out = new Map();
    seen.set(value, out);
    value.forEach((v, k) => out.set(cloneValue(k, seen), cloneValue(v, seen)));
    return out;
  } else if (value instanceof Set) {
    out = new Set();
    seen.set(value, out);
    value.forEach((v) => out.add(cloneValue(v, seen)));
    return out;
  } else if (value instanceof Error) {
    const Ctor = { EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError }[value.name] ?? Error;
    out = new Ctor(value.message);
    if ("stack" in value) out.stack = value.stack;
  } else if (value instanceof Boolean || value instanceof Number || value instanceof String) {
    out = Object(value.valueOf());
  } else {
    const tag = Object.prototype.toString.call(value);
    if (tag !== "[object Object]") throw new DOMException(`${tag} could not be cloned.`, "DataCloneError");
    out = {};
    seen.set(value, out);
    for (const key of Object.keys(value)) out[key] = cloneValue(value[key], seen);
    return out;
  }
  seen.set(value, out);
  return out;
}

export function installClone(g) {
  g.structuredClone = function structuredClone(value) {
    return cloneValue(value, new Map());
  };
}
