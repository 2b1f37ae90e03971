// Formats values for console log lines the way Convex's console does (the
// `object-inspect` conventions with `indent: 2`): strings single-quoted,
// objects one field per line, arrays inline unless an element spans lines.

const MAX_STRING_LENGTH = 32768;
const MAX_DEPTH = 5;
const toStr = (v) => Object.prototype.toString.call(v);

const NEEDS_ESCAPE = /['\\\x00-\x1f]/;

function quoteString(str) {
  if (str.length <= MAX_STRING_LENGTH && !NEEDS_ESCAPE.test(str)) return "'" + str + "'";
  let s = str;
  let trailer = "";
  if (s.length > MAX_STRING_LENGTH) {
    const remaining = s.length - MAX_STRING_LENGTH;
    trailer = `... ${remaining} more character${remaining > 1 ? "s" : ""}`;
    s = s.slice(0, MAX_STRING_LENGTH);
  }
  const escaped = s.replace(/(['\\])/g, "\\$1").replace(/[\x00-\x1f]/g, (c) => {
    const code = c.charCodeAt(0);
    const named = { 8: "b", 9: "t", 10: "n", 12: "f", 13: "r" }[code];
    if (named) return "\\" + named;
    return "\\x" + (code < 0x10 ? "0" : "") + code.toString(16).toUpperCase();
  });
  return "'" + escaped + "'" + trailer;
}

function functionName(f) {
  if (f.name) return f.name;
  const m = /^function\s*([\w$]+)/.exec(Function.prototype.toString.call(f));
  return m ? m[1] : null;
}

function indentedJoin(parts, depth) {
  if (parts.length === 0) return "";
  const prev = "  ".repeat(depth);
  const joiner = "\n" + prev + "  ";
  return joiner + parts.join("," + joiner) + "\n" + prev;
}

function keyText(key, depth, seen, parent) {
  return /[^\w$]/.test(key) ? format(key, depth + 1, seen, parent) : key;
}

function ownEntries(obj, depth, seen, skipIndices) {
  const parts = [];
  for (const key of Object.keys(obj)) {
    if (skipIndices && String(Number(key)) === key && Number(key) < skipIndices) continue;
    parts.push(keyText(key, depth, seen, obj) + ": " + format(obj[key], depth + 1, seen, obj));
  }
  for (const sym of Object.getOwnPropertySymbols(obj)) {
    if (Object.prototype.propertyIsEnumerable.call(obj, sym)) {
      parts.push("[" + String(sym) + "]: " + format(obj[sym], depth + 1, seen, obj));
    }
  }
  return parts;
}

function format(value, depth, seen, parent) {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return quoteString(value);
    case "number":
      return value === 0 && 1 / value < 0 ? "-0" : String(value);
    case "bigint":
      return String(value) + "n";
    case "symbol":
      return String(value);
  }
  if (typeof value === "object" && depth >= MAX_DEPTH) {
    return Array.isArray(value) ? "[Array]" : "[Object]";
  }
  if (seen.includes(value)) return "[Circular]";
  const inner = [...seen, value];
  if (typeof value === "function") {
    const name = functionName(value);
    const keys = ownEntries(value, depth, inner);
    const head = "[Function" + (name ? ": " + name : " (anonymous)") + "]";
    return keys.length > 0 ? head + " { " + keys.join(", ") + " }" : head;
  }
  const tag = toStr(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const parts = [];
    for (let i = 0; i < value.length; i++) {
      parts.push(Object.prototype.hasOwnProperty.call(value, i) ? format(value[i], depth + 1, inner, value) : "");
    }
    parts.push(...ownEntries(value, depth, inner, value.length));
    if (parts.some((p) => p.includes("\n"))) return "[" + indentedJoin(parts, depth) + "]";
    return "[ " + parts.join(", ") + " ]";
  }
  if (value instanceof Error || tag === "[object Error]") {
    const parts = ownEntries(value, depth, inner);
    if (parts.length === 0) return "[" + String(value) + "]";
    return "{ [" + String(value) + "] " + parts.join(", ") + " }";
  }
  if (typeof value.inspect === "function") {
    return String(value.inspect());
  }
  if (value instanceof Map) {
    const parts = [];
    value.forEach((v, k) => parts.push(format(k, depth + 1, inner, value) + " => " + format(v, depth + 1, inner, value)));
    return `Map (${value.size}) {` + indentedJoin(parts, depth) + "}";
  }
  if (value instanceof Set) {
    const parts = [];
    value.forEach((v) => parts.push(format(v, depth + 1, inner, value)));
    return `Set (${value.size}) {` + indentedJoin(parts, depth) + "}";
  }
  if (value instanceof WeakMap) return "WeakMap { ? }";
  if (value instanceof WeakSet) return "WeakSet { ? }";
  if (value instanceof WeakRef) return "WeakRef { ? }";
  if (tag === "[object Number]" || tag === "[object String]" || tag === "[object Boolean]" || tag === "[object BigInt]") {
    return "Object(" + format(value.valueOf(), depth + 1, inner, value) + ")";
  }
  if (value === globalThis) return "{ [object globalThis] }";
  if (tag === "[object Date]" || tag === "[object RegExp]") return String(value);
  const proto = Object.getPrototypeOf(value);
  const isPlain = proto === Object.prototype;
  const nullProto = proto === null ? "null prototype" : "";
  const stringTag = !isPlain && Symbol.toStringTag in value ? tag.slice(8, -1) : nullProto ? "Object" : "";
  const ctorName = isPlain || typeof value.constructor !== "function" ? "" : value.constructor.name ? value.constructor.name + " " : "";
  const label = [stringTag, nullProto].filter(Boolean).join(": ");
  const prefix = ctorName + (label ? "[" + label + "] " : "");
  const parts = ownEntries(value, depth, inner);
  if (parts.length === 0) return prefix + "{}";
  return prefix + "{" + indentedJoin(parts, depth) + "}";
}

export function inspect(value) {
  try {
    return format(value, 0, [], undefined);
  } catch (e) {
    return "[Uninspectable]";
  }
}

export function formatLogArgs(args) {
  return args.map(inspect).join(" ");
}
