// The `crypto` global: getRandomValues and randomUUID from the execution's
// seeded generator, and `crypto.subtle` in Rust: digest (SHA-1/256/384/512)
// and, for HMAC, RSASSA-PKCS1-v1_5, RSA-PSS, ECDSA and Ed25519 keys,
// importKey, exportKey, sign and verify (generateKey for HMAC); PBKDF2
// deriveBits and deriveKey (to HMAC). What JWT libraries (jose), password
// hashing (lucia's scrypt) and webhook checks use. A CryptoKey holds its key in the
// canonical form the Rust side made at import.

import { fillRandom } from "basalt:determinism";
import { toBytes } from "basalt:encoding";
import { DOMException } from "basalt:events";

const INTERNAL = Symbol("CryptoKey");
let makeKey;
let materialOf;

export class CryptoKey {
  #type;
  #extractable;
  #algorithm;
  #usages;
  #material;
  constructor(key) {
    if (key !== INTERNAL) throw new TypeError("Illegal constructor");
  }
  static {
    makeKey = (type, extractable, algorithm, usages, material) => {
      const key = new CryptoKey(INTERNAL);
      key.#type = type;
      key.#extractable = extractable;
      key.#algorithm = Object.freeze(algorithm);
      key.#usages = Object.freeze([...usages]);
      key.#material = material;
      return key;
    };
    materialOf = (key) => key.#material;
  }
  get type() {
    return this.#type;
  }
  get extractable() {
    return this.#extractable;
  }
  get algorithm() {
    return this.#algorithm;
  }
  get usages() {
    return this.#usages;
  }
  get [Symbol.toStringTag]() {
    return "CryptoKey";
  }
}

const ALGORITHMS = ["HMAC", "RSASSA-PKCS1-v1_5", "RSA-PSS", "ECDSA", "Ed25519", "PBKDF2", "SHA-1", "SHA-256", "SHA-384", "SHA-512"];
const HASH_BYTES = { "SHA-1": 20, "SHA-256": 32, "SHA-384": 48, "SHA-512": 64 };

/// `algorithm` (a name or `{name, ...}`) with its name in canonical case.
function normalize(algorithm) {
  const spec = typeof algorithm === "string" ? { name: algorithm } : { ...algorithm };
  if (typeof spec.name !== "string") throw new TypeError("Algorithm: name is missing");
  const name = ALGORITHMS.find((a) => a.toUpperCase() === spec.name.toUpperCase());
  if (name === undefined) throw new DOMException(`Unrecognized algorithm name: ${spec.name}`, "NotSupportedError");
  spec.name = name;
  return spec;
}

function hashOf(spec) {
  if (spec.hash === undefined) throw new TypeError(`${spec.name}: hash is missing`);
  const hash = normalize(spec.hash).name;
  if (!(hash in HASH_BYTES)) throw new DOMException(`${hash} is not a hash`, "NotSupportedError");
  return hash;
}

/// Runs a Rust crypto call, turning its `Name|message` errors into DOMExceptions.
function rust(call) {
  try {
    return call();
  } catch (e) {
    const text = String(e?.message ?? e);
    const bar = text.indexOf("|");
    if (bar < 0) throw e;
    throw new DOMException(text.slice(bar + 1), text.slice(0, bar));
  }
}

/// An HMAC key's default length: the hash's block size.
function hmacBits(hash) {
  return hash === "SHA-384" || hash === "SHA-512" ? 1024 : 512;
}

const USAGES = { secret: ["sign", "verify"], private: ["sign"], public: ["verify"] };
const DERIVE_USAGES = ["deriveBits", "deriveKey"];

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

  async function importKey(format, keyData, algorithm, extractable, keyUsages) {
    const spec = normalize(algorithm);
    const name = spec.name;
    const hash = name === "HMAC" || name.startsWith("RSA") ? hashOf(spec) : "";
    const curve = name === "ECDSA" ? String(spec.namedCurve ?? "") : "";
    const bytes =
      format === "jwk"
        ? new TextEncoder().encode(JSON.stringify(keyData))
        : new Uint8Array(toBytes(keyData, "SubtleCrypto.importKey"));
    const imported = rust(() => host.cryptoImport(name, String(format), curve, bytes));
    const usages = [...keyUsages];
    const allowed = name === "PBKDF2" ? DERIVE_USAGES : USAGES[imported.kind];
    const bad = usages.find((u) => !allowed.includes(u));
    if (bad !== undefined) throw new DOMException(`Cannot create a key using the specified key usage: ${bad}`, "SyntaxError");
    if (usages.length === 0 && imported.kind !== "public") {
      throw new DOMException("Usages cannot be empty when creating a key.", "SyntaxError");
    }
    const keyAlgorithm = { name };
    if (name === "HMAC") {
      keyAlgorithm.hash = { name: hash };
      keyAlgorithm.length = (imported.material.length - 1) * 8;
    } else if (name.startsWith("RSA")) {
      keyAlgorithm.hash = { name: hash };
      keyAlgorithm.modulusLength = imported.modulusLength;
      keyAlgorithm.publicExponent = imported.publicExponent;
    } else if (name === "ECDSA") {
      keyAlgorithm.namedCurve = curve;
    }
    if (name === "PBKDF2" && extractable) {
      throw new DOMException("PBKDF2 keys cannot be extractable", "SyntaxError");
    }
    const exportable = imported.kind === "public" ? true : Boolean(extractable);
    return makeKey(imported.kind, exportable, keyAlgorithm, usages, imported.material);
  }

  function checkKey(spec, key, usage) {
    if (!(key instanceof CryptoKey)) throw new TypeError("key is not a CryptoKey");
    if (key.algorithm.name !== spec.name) {
      throw new DOMException(`The key is for ${key.algorithm.name}, not ${spec.name}`, "InvalidAccessError");
    }
    if (!key.usages.includes(usage)) {
      throw new DOMException(`The key does not allow ${usage}`, "InvalidAccessError");
    }
  }

  /// (hash, curve) for a sign or verify call.
  function signingParameters(spec, key) {
    if (spec.name === "ECDSA") return [hashOf(spec), key.algorithm.namedCurve];
    const hash = key.algorithm.hash?.name ?? "";
    if (spec.name === "RSA-PSS" && spec.saltLength !== HASH_BYTES[hash]) {
      throw new DOMException(`RSA-PSS is supported with saltLength ${HASH_BYTES[hash]} (the hash length) only`, "NotSupportedError");
    }
    return [hash, ""];
  }

  /// `bytes` of PBKDF2 output (`spec`: {salt, iterations, hash}).
  function pbkdf2(spec, key, bytes) {
    const salt = new Uint8Array(toBytes(spec.salt, "PBKDF2 salt"));
    return rust(() => host.cryptoDeriveBits(hashOf(spec), materialOf(key), salt, Number(spec.iterations) >>> 0, bytes));
  }

  const subtle = {
    importKey,
    async exportKey(format, key) {
      if (!(key instanceof CryptoKey)) throw new TypeError("key is not a CryptoKey");
      if (!key.extractable) throw new DOMException("The key is not extractable", "InvalidAccessError");
      const out = rust(() => host.cryptoExport(String(format), key.algorithm.namedCurve ?? "", materialOf(key)));
      if (typeof out !== "string") return out;
      const jwk = JSON.parse(out);
      const { name } = key.algorithm;
      const bits = key.algorithm.hash?.name?.slice(4);
      if (name === "HMAC") jwk.alg = `HS${bits}`;
      if (name === "RSASSA-PKCS1-v1_5") jwk.alg = `RS${bits}`;
      if (name === "RSA-PSS") jwk.alg = `PS${bits}`;
      jwk.key_ops = [...key.usages];
      jwk.ext = true;
      return jwk;
    },
    async sign(algorithm, key, data) {
      const spec = normalize(algorithm);
      checkKey(spec, key, "sign");
      const [hash, curve] = signingParameters(spec, key);
      const message = new Uint8Array(toBytes(data, "SubtleCrypto.sign"));
      return rust(() => host.cryptoSign(spec.name, hash, curve, materialOf(key), message));
    },
    async verify(algorithm, key, signature, data) {
      const spec = normalize(algorithm);
      checkKey(spec, key, "verify");
      const [hash, curve] = signingParameters(spec, key);
      const sig = new Uint8Array(toBytes(signature, "SubtleCrypto.verify"));
      const message = new Uint8Array(toBytes(data, "SubtleCrypto.verify"));
      return rust(() => host.cryptoVerify(spec.name, hash, curve, materialOf(key), sig, message));
    },
    async deriveBits(algorithm, baseKey, length) {
      const spec = normalize(algorithm);
      if (spec.name !== "PBKDF2") {
        throw new DOMException(`deriveBits with ${spec.name} is not supported yet`, "NotSupportedError");
      }
      checkKey(spec, baseKey, "deriveBits");
      const bits = Number(length);
      if (!Number.isInteger(bits) || bits <= 0 || bits % 8 !== 0) {
        throw new DOMException("length must be a positive multiple of 8", "OperationError");
      }
      return pbkdf2(spec, baseKey, bits / 8);
    },
    async deriveKey(algorithm, baseKey, derivedKeyAlgorithm, extractable, keyUsages) {
      const spec = normalize(algorithm);
      const target = normalize(derivedKeyAlgorithm);
      if (spec.name !== "PBKDF2" || target.name !== "HMAC") {
        throw new DOMException(`deriveKey from ${spec.name} to ${target.name} is not supported yet`, "NotSupportedError");
      }
      checkKey(spec, baseKey, "deriveKey");
      const hash = hashOf(target);
      const bits = target.length ?? hmacBits(hash);
      const secret = pbkdf2(spec, baseKey, Math.ceil(bits / 8));
      return importKey("raw", secret, { name: "HMAC", hash, length: bits }, extractable, keyUsages);
    },
    async generateKey(algorithm, extractable, keyUsages) {
      const spec = normalize(algorithm);
      if (spec.name !== "HMAC") {
        throw new DOMException(`generateKey for ${spec.name} is not supported yet`, "NotSupportedError");
      }
      const hash = hashOf(spec);
      const bits = spec.length ?? hmacBits(hash);
      const secret = new Uint8Array(Math.ceil(bits / 8));
      fillRandom(secret);
      return importKey("raw", secret, { name: "HMAC", hash }, extractable, keyUsages);
    },
    async digest(algorithm, data) {
      const name = String(typeof algorithm === "object" && algorithm !== null ? algorithm.name : algorithm).toUpperCase();
      const bytes = toBytes(data, "SubtleCrypto.digest");
      const out = host.digest(name, new Uint8Array(bytes));
      if (out === null) throw new Error(`Unrecognized or unsupported digest algorithm: ${name}`);
      return out;
    },
  };

  g.crypto = { getRandomValues, randomUUID, subtle };
  g.CryptoKey = CryptoKey;
}
