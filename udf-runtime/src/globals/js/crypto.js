// The `crypto` global: getRandomValues and randomUUID from the execution's
// seeded generator, and subtle.digest (SHA-256/384/512) in Rust.

import { fillRandom } from "basalt:determinism";
import { toBytes } from "basalt:encoding";

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];

export function installCrypto(g, host) {
  function getRandomValues(array) {
    if (!INTEGER_ARRAYS.some((T) => array instanceof T)) {
      throw new TypeError("getRandomValues: argument must be an integer-typed array");
    }
    if (array.byteLength > 65536) {
      throw new RangeError(`The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536)`);
    }
    fillRandom(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    return array;
  }

  function randomUUID() {
    const b = new Uint8Array(16);
    fillRandom(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  const subtle = {
    async digest(algorithm, data) {
      const name = String(typeof algorithm === "object" && algorithm !== null ? algorithm.name : algorithm).toUpperCase();
      const bytes = toBytes(data, "SubtleCrypto.digest");
      const out = host.digest(name, new Uint8Array(bytes));
      if (out === null) throw new Error(`Unrecognized or unsupported digest algorithm: ${name}`);
      return out;
    },
  };

  g.crypto = { getRandomValues, randomUUID, subtle };
}
