// Deterministic time and randomness: a seeded Math.random (xoshiro128**),
// seeded crypto.getRandomValues, and a Date whose clock is frozen for the
// duration of a query or mutation (and runs in real time for actions).

const RealDate = Date;
const realNow = RealDate.now;

let s0 = 1, s1 = 2, s2 = 3, s3 = 4;
let frozen = true;
let frozenNow = 0;

function rotl(x, k) {
  return (x << k) | (x >>> (32 - k));
}

export function next32() {
  const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl(s3, 11);
  return result;
}

function random() {
  return ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992;
}

export function now() {
  return frozen ? frozenNow : realNow();
}

/// Reseeds the generator and sets the clock. `isFrozen` false = real time.
export function resetDeterminism(a, b, c, d, nowMs, isFrozen) {
  s0 = a | 0;
  s1 = b | 0;
  s2 = c | 0;
  s3 = d | 0;
  if ((s0 | s1 | s2 | s3) === 0) s3 = 1;
  frozen = isFrozen;
  frozenNow = nowMs;
}

export function fillRandom(bytes) {
  let i = 0;
  for (; i + 4 <= bytes.length; i += 4) {
    const r = next32();
    bytes[i] = r & 0xff;
    bytes[i + 1] = (r >>> 8) & 0xff;
    bytes[i + 2] = (r >>> 16) & 0xff;
    bytes[i + 3] = r >>> 24;
  }
  if (i < bytes.length) {
    let r = next32();
    for (; i < bytes.length; i++) {
      bytes[i] = r & 0xff;
      r >>>= 8;
    }
  }
}

function BasaltDate(...args) {
  if (new.target === undefined) {
    return new RealDate(now()).toString();
  }
  if (args.length === 0) {
    return Reflect.construct(RealDate, [now()], new.target);
  }
  return Reflect.construct(RealDate, args, new.target);
}

export function installDeterminism(g) {
  Object.defineProperty(Math, "random", { value: random, writable: true, configurable: true });
  Object.defineProperty(BasaltDate, "name", { value: "Date" });
  Object.defineProperty(BasaltDate, "length", { value: 7 });
  BasaltDate.prototype = RealDate.prototype;
  BasaltDate.now = now;
  BasaltDate.parse = RealDate.parse;
  BasaltDate.UTC = RealDate.UTC;
  Object.defineProperty(RealDate.prototype, "constructor", {
    value: BasaltDate,
    writable: true,
    configurable: true,
  });
  Object.defineProperty(g, "Date", { value: BasaltDate, writable: true, configurable: true });
}
