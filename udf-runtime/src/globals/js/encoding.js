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

  /// How many bytes at the end of `bytes` start a UTF-8 sequence that is
  /// not complete yet (0 to 3).
  function incompleteTail(bytes) {
    for (let back = 1; back <= Math.min(3, bytes.length); back++) {
      const b = bytes[bytes.length - back];
      if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
      const size = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
      return size > back ? back : 0;
    }
    return 0;
  }

  class TextDecoder {
    #fatal;
    #ignoreBOM;
    // With {stream: true}: the bytes of a character cut by the chunk's end,
    // and whether the stream's first bytes were seen (a BOM is only
    // stripped there).
    #pending = new Uint8Array(0);
    #started = false;
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
    decode(input = new Uint8Array(0), options = {}) {
      let bytes = toBytes(input, "TextDecoder.decode");
      if (this.#pending.length > 0) {
        const joined = new Uint8Array(this.#pending.length + bytes.length);
        joined.set(this.#pending);
        joined.set(bytes, this.#pending.length);
        bytes = joined;
      }
      const stream = Boolean(options?.stream);
      const keep = stream ? incompleteTail(bytes) : 0;
      this.#pending = bytes.slice(bytes.length - keep);
      const ignoreBOM = this.#ignoreBOM || this.#started;
      this.#started = stream;
      const text = host.utf8Decode(bytes.subarray(0, bytes.length - keep), this.#fatal, ignoreBOM);
      if (text === null) throw new TypeError("The encoded data was not valid.");
      return text;
    }
  }

  g.TextEncoder = TextEncoder;
  g.TextDecoder = TextDecoder;
}
