// TextEncoder / TextDecoder (UTF-8 only, as in Convex), backed by Rust.

export function toBytes(input, what) {
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError(`${what}: expected an ArrayBuffer or ArrayBufferView`);
}

export function installEncoding(g, host) {
  class TextEncoder {
    get encoding() {
      return "utf-8";
    }
    encode(input = "") {
      return new Uint8Array(host.utf8Encode(String(input).toWellFormed()));
    }
    encodeInto(input, dest) {
      const str = String(input).toWellFormed();
      let read = 0;
      let written = 0;
      for (const ch of str) {
        const cp = ch.codePointAt(0);
        const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (written + size > dest.length) break;
        if (size === 1) {
          dest[written] = cp;
        } else if (size === 2) {
          dest[written] = 0xc0 | (cp >> 6);
          dest[written + 1] = 0x80 | (cp & 0x3f);
        } else if (size === 3) {
          dest[written] = 0xe0 | (cp >> 12);
          dest[written + 1] = 0x80 | ((cp >> 6) & 0x3f);
          dest[written + 2] = 0x80 | (cp & 0x3f);
        } else {
          dest[written] = 0xf0 | (cp >> 18);
          dest[written + 1] = 0x80 | ((cp >> 12) & 0x3f);
          dest[written + 2] = 0x80 | ((cp >> 6) & 0x3f);
          dest[written + 3] = 0x80 | (cp & 0x3f);
        }
        written += size;
        read += ch.length;
      }
      return { read, written };
    }
  }

  const LABELS = ["utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"];

  class TextDecoder {
    #fatal;
    #ignoreBOM;
    constructor(label = "utf-8", options = {}) {
      if (!LABELS.includes(String(label).trim().toLowerCase())) {
        throw new RangeError(`The encoding label provided ('${label}') is invalid.`);
      }
      this.#fatal = Boolean(options?.fatal);
      this.#ignoreBOM = Boolean(options?.ignoreBOM);
    }
    get encoding() {
      return "utf-8";
    }
    get fatal() {
      return this.#fatal;
    }
    get ignoreBOM() {
      return this.#ignoreBOM;
    }
    decode(input = new Uint8Array(0)) {
      const bytes = toBytes(input, "TextDecoder.decode");
      const text = host.utf8Decode(bytes, this.#fatal, this.#ignoreBOM);
      if (text === null) throw new TypeError("The encoded data was not valid.");
      return text;
    }
  }

  g.TextEncoder = TextEncoder;
  g.TextDecoder = TextDecoder;
}
