// URL and URLSearchParams: a compact WHATWG-style parser covering special
// (http, https, ws, wss, ftp, file) and opaque URLs, relative resolution,
// dot segments, default ports and percent-encoding. Non-ASCII hostnames are
// lower-cased but not converted to punycode.

const SPECIAL = { "ftp:": "21", "file:": "", "http:": "80", "https:": "443", "ws:": "80", "wss:": "443" };
const C0 = (c) => c < 0x20 || c > 0x7e;
const FRAGMENT_SET = (c) => C0(c) || c === 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x60;
const QUERY_SET = (c) => C0(c) || c === 0x20 || c === 0x22 || c === 0x23 || c === 0x3c || c === 0x3e;
const SPECIAL_QUERY_SET = (c) => QUERY_SET(c) || c === 0x27;
const PATH_SET = (c) => QUERY_SET(c) || c === 0x3f || c === 0x60 || c === 0x7b || c === 0x7d;
const USERINFO_SET = (c) =>
  PATH_SET(c) || c === 0x2f || c === 0x3a || c === 0x3b || c === 0x3d || c === 0x40 || (c >= 0x5b && c <= 0x5e) || c === 0x7c;

function percentEncode(str, inSet) {
  let out = "";
  for (const ch of str) {
    const c = ch.codePointAt(0);
    out += inSet(c) ? encodeURIComponent(ch.toWellFormed()) : ch;
  }
  return out;
}

function invalid(input) {
  return new TypeError(`Invalid URL: ${input}`);
}

function parseHost(host, special, input) {
  if (host.startsWith("[")) {
    if (!host.endsWith("]") || !/^\[[0-9A-Fa-f:.]+\]$/.test(host)) throw invalid(input);
    return host.toLowerCase();
  }
  let decoded;
  try {
    decoded = decodeURIComponent(host);
  } catch {
    throw invalid(input);
  }
  if (!special) return percentEncode(host, C0);
  const lower = decoded.toLowerCase();
  if (lower === "" || /[\x00-\x20#%/:<>?@[\\\]^|]/.test(lower)) throw invalid(input);
  if (/^[0-9.]+$/.test(lower) && lower.split(".").length === 4) {
    const parts = lower.split(".").map(Number);
    if (parts.some((p) => p > 255)) throw invalid(input);
    return parts.join(".");
  }
  return lower;
}

function normalizePath(segments, special) {
  const out = [];
  for (const raw of segments) {
    const seg = raw.toLowerCase();
    if (seg === ".." || seg === ".%2e" || seg === "%2e." || seg === "%2e%2e") {
      out.pop();
      if (segments.length && raw === segments[segments.length - 1]) out.push("");
    } else if (seg === "." || seg === "%2e") {
      if (raw === segments[segments.length - 1]) out.push("");
    } else {
      out.push(percentEncode(raw, PATH_SET));
    }
  }
  return "/" + out.join("/");
}

function splitSuffix(rest) {
  let hash = null;
  let query = null;
  const h = rest.indexOf("#");
  if (h >= 0) {
    hash = rest.slice(h + 1);
    rest = rest.slice(0, h);
  }
  const q = rest.indexOf("?");
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  return { rest, query, hash };
}

/// Parses `input` (optionally against a parsed `base`) into URL records.
function parse(input, base) {
  const text = String(input).replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, "").replace(/[\t\n\r]/g, "");
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text);
  let r = { protocol: "", username: "", password: "", hostname: "", port: "", pathname: "", query: null, hash: null, opaque: false };
  let rest;
  if (schemeMatch) {
    r.protocol = schemeMatch[1].toLowerCase() + ":";
    rest = text.slice(schemeMatch[0].length);
    if (base && base.protocol === r.protocol && r.protocol in SPECIAL && !/^[/\\]/.test(rest)) {
      return parse(rest, base);
    }
  } else {
    if (!base) throw invalid(input);
    r.protocol = base.protocol;
    rest = text;
    if (base.opaque) {
      if (!rest.startsWith("#")) throw invalid(input);
      return { ...base, hash: rest.slice(1) };
    }
  }
  const special = r.protocol in SPECIAL;
  if (special) rest = rest.replace(/\\/g, "/");
  const { rest: beforeQuery, query, hash } = splitSuffix(rest);
  let path = beforeQuery;
  if (path.startsWith("//") || (special && schemeMatch && !base)) {
    path = r.protocol === "file:" ? path.replace(/^\/\//, "") : path.replace(/^\/*/, "");
    const end = path.search(/[/]/);
    const authority = end < 0 ? path : path.slice(0, end);
    path = end < 0 ? "" : path.slice(end);
    const at = authority.lastIndexOf("@");
    const hostPort = at >= 0 ? authority.slice(at + 1) : authority;
    if (at >= 0) {
      const info = authority.slice(0, at);
      const colon = info.indexOf(":");
      r.username = percentEncode(colon >= 0 ? info.slice(0, colon) : info, USERINFO_SET);
      r.password = colon >= 0 ? percentEncode(info.slice(colon + 1), USERINFO_SET) : "";
    }
    const portMatch = /:([0-9]*)$/.exec(hostPort);
    const host = portMatch && !hostPort.endsWith("]") ? hostPort.slice(0, portMatch.index) : hostPort;
    if (portMatch && !hostPort.endsWith("]") && portMatch[1] !== "") {
      const port = Number(portMatch[1]);
      if (port > 65535) throw invalid(input);
      r.port = String(port) === SPECIAL[r.protocol] ? "" : String(port);
    } else if (/:[^\]]*$/.test(hostPort) && !hostPort.endsWith("]") && !portMatch) {
      throw invalid(input);
    }
    if (host === "" && special && r.protocol !== "file:") throw invalid(input);
    r.hostname = host === "" ? "" : parseHost(host, special, input);
    r.pathname = special || path ? normalizePath(path.split("/").slice(1), special) : "";
  } else if (!schemeMatch || (base && !schemeMatch)) {
    // relative reference against base
    r = { ...base, query: base.query, hash: null };
    if (path === "") {
      if (query === null) r.query = base.query;
      else r.query = query;
    } else if (path.startsWith("/")) {
      r.pathname = normalizePath(path.split("/").slice(1), special);
      r.query = query;
    } else {
      const dir = base.pathname.split("/").slice(1, -1);
      r.pathname = normalizePath([...dir, ...path.split("/")], special);
      r.query = query;
    }
    if (path !== "") r.query = query;
    r.hash = hash;
    r.query = r.query === null ? null : percentEncode(r.query, special ? SPECIAL_QUERY_SET : QUERY_SET);
    r.hash = r.hash === null ? null : percentEncode(r.hash, FRAGMENT_SET);
    return r;
  } else if (special) {
    throw invalid(input);
  } else {
    r.opaque = !path.startsWith("/");
    r.pathname = r.opaque ? percentEncode(path, C0) : normalizePath(path.split("/").slice(1), false);
  }
  r.query = query === null ? null : percentEncode(query, special ? SPECIAL_QUERY_SET : QUERY_SET);
  r.hash = hash === null ? null : percentEncode(hash, FRAGMENT_SET);
  return r;
}

function serialize(r, excludeHash) {
  let out = r.protocol;
  const hasAuthority = r.hostname !== "" || r.protocol === "file:" || (!r.opaque && r.protocol in SPECIAL);
  if (hasAuthority) {
    out += "//";
    if (r.username || r.password) {
      out += r.username + (r.password ? ":" + r.password : "") + "@";
    }
    out += r.hostname + (r.port ? ":" + r.port : "");
  }
  out += r.pathname;
  if (r.query !== null) out += "?" + r.query;
  if (!excludeHash && r.hash !== null) out += "#" + r.hash;
  return out;
}

function formEncode(str) {
  return encodeURIComponent(String(str).toWellFormed())
    .replace(/[!'()~]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, "+");
}

function formDecode(str) {
  const s = str.replace(/\+/g, " ");
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/%([0-9A-Fa-f]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16)));
  }
}

export class URLSearchParams {
  #list = [];
  #onChange = null;
  constructor(init = "") {
    if (init instanceof URLSearchParams) {
      this.#list = [...init.#list.map((p) => [...p])];
    } else if (typeof init === "object" && init !== null && typeof init[Symbol.iterator] === "function") {
      for (const pair of init) {
        const p = [...pair];
        if (p.length !== 2) throw new TypeError("Each query pair must be an iterable [name, value] tuple");
        this.#list.push([String(p[0]), String(p[1])]);
      }
    } else if (typeof init === "object" && init !== null) {
      for (const key of Object.keys(init)) this.#list.push([key, String(init[key])]);
    } else {
      this.#parse(String(init));
    }
  }
  #parse(text) {
    this.#list = [];
    const s = text.startsWith("?") ? text.slice(1) : text;
    for (const part of s.split("&")) {
      if (part === "") continue;
      const eq = part.indexOf("=");
      const name = eq >= 0 ? part.slice(0, eq) : part;
      const value = eq >= 0 ? part.slice(eq + 1) : "";
      this.#list.push([formDecode(name), formDecode(value)]);
    }
  }
  static _link(params, text, onChange) {
    params.#parse(text);
    params.#onChange = onChange;
  }
  static _reparse(params, text) {
    params.#parse(text);
  }
  #update() {
    if (this.#onChange) this.#onChange(this.toString());
  }
  get size() {
    return this.#list.length;
  }
  append(name, value) {
    this.#list.push([String(name), String(value)]);
    this.#update();
  }
  delete(name, value) {
    const n = String(name);
    this.#list = this.#list.filter(([k, v]) => !(k === n && (value === undefined || v === String(value))));
    this.#update();
  }
  get(name) {
    const found = this.#list.find(([k]) => k === String(name));
    return found ? found[1] : null;
  }
  getAll(name) {
    return this.#list.filter(([k]) => k === String(name)).map(([, v]) => v);
  }
  has(name, value) {
    return this.#list.some(([k, v]) => k === String(name) && (value === undefined || v === String(value)));
  }
  set(name, value) {
    const n = String(name);
    const i = this.#list.findIndex(([k]) => k === n);
    if (i < 0) {
      this.#list.push([n, String(value)]);
    } else {
      this.#list[i][1] = String(value);
      this.#list = this.#list.filter(([k], j) => j <= i || k !== n);
    }
    this.#update();
  }
  sort() {
    this.#list = this.#list
      .map((p, i) => [p, i])
      .sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1]))
      .map(([p]) => p);
    this.#update();
  }
  forEach(callback, thisArg) {
    for (const [k, v] of this.#list) callback.call(thisArg, v, k, this);
  }
  *entries() {
    for (const [k, v] of this.#list) yield [k, v];
  }
  *keys() {
    for (const [k] of this.#list) yield k;
  }
  *values() {
    for (const [, v] of this.#list) yield v;
  }
  [Symbol.iterator]() {
    return this.entries();
  }
  toString() {
    return this.#list.map(([k, v]) => formEncode(k) + "=" + formEncode(v)).join("&");
  }
  get [Symbol.toStringTag]() {
    return "URLSearchParams";
  }
}

export class URL {
  #r;
  #params;
  constructor(url, base) {
    const baseRecord = base === undefined ? undefined : base instanceof URL ? base.#r : parse(String(base));
    this.#r = parse(url instanceof URL ? url.href : String(url), baseRecord);
    this.#params = new URLSearchParams();
    URLSearchParams._link(this.#params, this.#r.query ?? "", (text) => {
      this.#r.query = text === "" ? null : text;
    });
  }
  static canParse(url, base) {
    try {
      new URL(url, base);
      return true;
    } catch {
      return false;
    }
  }
  static parse(url, base) {
    try {
      return new URL(url, base);
    } catch {
      return null;
    }
  }
  #set(mutator) {
    const copy = { ...this.#r };
    mutator(copy);
    this.#r = parse(serialize(copy));
    URLSearchParams._reparse(this.#params, this.#r.query ?? "");
  }
  get href() {
    return serialize(this.#r);
  }
  set href(value) {
    this.#r = parse(String(value));
    URLSearchParams._reparse(this.#params, this.#r.query ?? "");
  }
  get origin() {
    const r = this.#r;
    if (!(r.protocol in SPECIAL) || r.protocol === "file:") return "null";
    return r.protocol + "//" + r.hostname + (r.port ? ":" + r.port : "");
  }
  get protocol() {
    return this.#r.protocol;
  }
  set protocol(value) {
    const p = String(value).replace(/:.*$/, "").toLowerCase() + ":";
    if ((p in SPECIAL) !== (this.#r.protocol in SPECIAL)) return;
    this.#set((r) => {
      r.protocol = p;
      if (r.port === SPECIAL[p]) r.port = "";
    });
  }
  get username() {
    return this.#r.username;
  }
  set username(value) {
    this.#set((r) => (r.username = percentEncode(String(value), USERINFO_SET)));
  }
  get password() {
    return this.#r.password;
  }
  set password(value) {
    this.#set((r) => (r.password = percentEncode(String(value), USERINFO_SET)));
  }
  get host() {
    return this.#r.hostname + (this.#r.port ? ":" + this.#r.port : "");
  }
  set host(value) {
    const v = String(value);
    const m = /^(.*?)(?::([0-9]*))?$/.exec(v);
    this.#set((r) => {
      r.hostname = m[1];
      if (m[2] !== undefined) r.port = m[2];
    });
  }
  get hostname() {
    return this.#r.hostname;
  }
  set hostname(value) {
    this.#set((r) => (r.hostname = String(value)));
  }
  get port() {
    return this.#r.port;
  }
  set port(value) {
    const v = String(value);
    this.#set((r) => (r.port = v === "" ? "" : String(parseInt(v, 10) || 0)));
  }
  get pathname() {
    return this.#r.pathname;
  }
  set pathname(value) {
    if (this.#r.opaque) return;
    let v = String(value);
    if (!v.startsWith("/")) v = "/" + v;
    this.#set((r) => (r.pathname = v));
  }
  get search() {
    return this.#r.query ? "?" + this.#r.query : "";
  }
  set search(value) {
    const v = String(value).replace(/^\?/, "");
    this.#set((r) => (r.query = v === "" ? null : v));
  }
  get searchParams() {
    return this.#params;
  }
  get hash() {
    return this.#r.hash ? "#" + this.#r.hash : "";
  }
  set hash(value) {
    const v = String(value).replace(/^#/, "");
    this.#set((r) => (r.hash = v === "" ? null : v));
  }
  toString() {
    return this.href;
  }
  toJSON() {
    return this.href;
  }
  get [Symbol.toStringTag]() {
    return "URL";
  }
}

export function installUrl(g) {
  g.URL = URL;
  g.URLSearchParams = URLSearchParams;
}
