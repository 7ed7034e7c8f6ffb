/**
 * Host-side sampling into typed arrays. These are what every tensor sampler uses, so numbers
 * never depend on the backend; other packages use them directly (for instance to shuffle a
 * data set on the host).
 * @module
 */
import { ValueError } from '../errors.js';
import { checkHostKey, type Key } from './key.js';
import { erf, erfinv } from './special.js';
import { bits32, blocks } from './threefry.js';

const f32 = Math.fround;

function checkCount(op: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new ValueError(`nx.random.${op}: n must be a non-negative integer, got ${n}`);
}

/**
 * `n` random unsigned 32-bit words: JAX's `random.bits(key, (n,), uint32)` in its default
 * (partitionable) Threefry mode, bit for bit.
 * @throws ValueError unless `n` is a non-negative integer.
 */
export function bitsArray(k: Key, n: number): Uint32Array {
  checkHostKey('bitsArray', k);
  checkCount('bitsArray', n);
  return bits32(k.k0, k.k1, n);
}

/**
 * `n` float32 numbers uniform in `[low, high)`, as JAX's `random.uniform(key, (n,), float32,
 * low, high)`: the top 23 bits of each word form the mantissa of a float in `[1, 2)`, minus 1,
 * then scaled in float32 arithmetic. Bit for bit equal to JAX (partitionable Threefry mode).
 * @param low - default 0. @param high - default 1.
 * @throws ValueError unless `n` is a non-negative integer and `low < high` are finite.
 * @example `const u = nx.random.uniformArray(nx.random.key(0), 1000);`
 */
export function uniformArray(k: Key, n: number, low = 0, high = 1): Float32Array {
  checkHostKey('uniformArray', k);
  checkCount('uniformArray', n);
  if (!(Number.isFinite(low) && Number.isFinite(high) && low < high)) {
    throw new ValueError(`nx.random.uniformArray: need finite low < high, got low ${low}, high ${high}`);
  }
  const b = bits32(k.k0, k.k1, n);
  for (let i = 0; i < n; i++) b[i] = (b[i]! >>> 9) | 0x3f800000;
  const f = new Float32Array(b.buffer, b.byteOffset, n);
  const lo = f32(low);
  const range = f32(f32(high) - lo);
  if (lo === 0 && range === 1) {
    for (let i = 0; i < n; i++) f[i] = f[i]! - 1;
  } else {
    for (let i = 0; i < n; i++) {
      const v = f32(f32((f[i]! - 1) * range) + lo);
      f[i] = v < lo ? lo : v;
    }
  }
  return f;
}

const SQRT2 = f32(Math.SQRT2);

/**
 * `n` standard normal float32 numbers, as JAX's `random.normal`: a uniform draw in
 * `(-1, 1)` mapped through `sqrt(2) * erfinv(u)`. Equal to JAX up to float32 rounding of
 * `erfinv` (JAX evaluates it on device).
 * @throws ValueError unless `n` is a non-negative integer.
 */
export function normalArray(k: Key, n: number): Float32Array {
  checkHostKey('normalArray', k);
  const u = uniformArray(k, n, f32(-1 + 2 ** -24), 1);
  for (let i = 0; i < n; i++) u[i] = SQRT2 * f32(erfinv(u[i]!));
  return u;
}

/**
 * `n` float32 numbers from the standard normal truncated to `[lower, upper]`, as JAX's
 * `random.truncated_normal`: uniform between `erf(lower/√2)` and `erf(upper/√2)`, mapped through
 * `√2 erfinv`, then clamped strictly inside the bounds.
 * @throws ValueError unless `lower < upper`.
 */
export function truncatedNormalArray(k: Key, n: number, lower = -2, upper = 2): Float32Array {
  checkHostKey('truncatedNormalArray', k);
  if (!(lower < upper)) throw new ValueError(`nx.random.truncatedNormal: need lower < upper, got ${lower} and ${upper}`);
  const lo = f32(lower);
  const hi = f32(upper);
  const a = f32(erf(lo / SQRT2));
  const b = f32(erf(hi / SQRT2));
  // the float32 neighbours just inside the bounds
  const inLo = nextAfter32(lo, Infinity);
  const inHi = nextAfter32(hi, -Infinity);
  const u = a < b ? uniformArray(k, n, a, b) : new Float32Array(n).fill(a);
  for (let i = 0; i < n; i++) {
    const v = SQRT2 * f32(erfinv(u[i]!));
    u[i] = v < inLo ? inLo : v > inHi ? inHi : v;
  }
  return u;
}

/** The next float32 after `x` in the direction of `toward`. @internal */
export function nextAfter32(x: number, toward: number): number {
  const v = f32(x);
  if (Number.isNaN(v) || v === toward) return v;
  if (!Number.isFinite(v)) return v;
  const buf = new Float32Array([v]);
  const bits = new Int32Array(buf.buffer);
  if (v === 0) {
    bits[0] = 1;
    return toward > 0 ? buf[0]! : -buf[0]!;
  }
  const up = toward > v === v > 0;
  bits[0] = bits[0]! + (up ? 1 : -1);
  return buf[0]!;
}

/**
 * `n` numbers uniform in `[0, 1)` with 53 random bits each (both words of a Threefry block),
 * for integer sampling without visible bias. @internal
 */
export function uniform53Array(k: Key, n: number): Float64Array {
  const b = blocks(k.k0, k.k1, n);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ((b[2 * i]! >>> 5) * 67108864 + (b[2 * i + 1]! >>> 6)) / 9007199254740992;
  return out;
}

/**
 * `n` integers uniform in `[low, high)`, as an Int32Array. Each uses 53 random bits
 * (`low + floor(u * (high - low))`), so the bias is below `(high - low) / 2^53`.
 * The stream differs from JAX's `randint`.
 * @throws ValueError unless `low < high` are int32 integers.
 */
export function randintArray(k: Key, n: number, low: number, high: number): Int32Array {
  checkHostKey('randintArray', k);
  checkCount('randintArray', n);
  if (!Number.isInteger(low) || !Number.isInteger(high) || low >= high || low < -0x80000000 || high > 0x80000000) {
    throw new ValueError(`nx.random.randint: need int32 integers low < high, got low ${low}, high ${high}`);
  }
  const u = uniform53Array(k, n);
  const out = new Int32Array(n);
  const range = high - low;
  for (let i = 0; i < n; i++) out[i] = low + Math.floor(u[i]! * range);
  return out;
}

/**
 * A random permutation of `0 .. n-1` as an Int32Array (Fisher-Yates, each swap index drawn from
 * 53 random bits). Use it to shuffle data on the host. The stream differs from JAX's
 * `permutation`.
 * @throws ValueError unless `n` is a non-negative integer below 2^31.
 * @example `const order = nx.random.permutationArray(nx.random.foldIn(key, epoch), 60000);`
 */
export function permutationArray(k: Key, n: number): Int32Array {
  checkHostKey('permutationArray', k);
  checkCount('permutationArray', n);
  if (n > 0x7fffffff) throw new ValueError(`nx.random.permutation: n must be below 2^31, got ${n}`);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  const u = uniform53Array(k, n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u[i]! * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}
