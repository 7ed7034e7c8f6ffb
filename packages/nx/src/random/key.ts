/**
 * Keys of nx's explicit random number generator: {@link Key}, {@link key}, {@link split},
 * {@link foldIn}.
 * @module
 */
import { TraceError, ValueError } from '../errors.js';
import { activeTrace } from '../jit/hooks.js';
import { blocks, threefry2x32 } from './threefry.js';

/**
 * A random key: an immutable pair of unsigned 32-bit words, as JAX's raw `uint32[2]` keys.
 * Every sampler takes a key and is a pure function of it: the same key gives the same numbers,
 * on every backend. Derive fresh keys with {@link split} or {@link foldIn}; never reuse a key for
 * two draws that should be independent.
 */
export class Key {
  /** The first word (JAX's `key_data(k)[0]`), in `[0, 2^32)`. */
  readonly k0: number;
  /** The second word (JAX's `key_data(k)[1]`), in `[0, 2^32)`. */
  readonly k1: number;

  /**
   * Makes a key from its two words; use {@link key} to make one from a seed.
   * @throws ValueError unless both words are integers in `[0, 2^32)`.
   */
  constructor(k0: number, k1: number) {
    for (const [name, w] of [['k0', k0], ['k1', k1]] as const) {
      if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) {
        throw new ValueError(`nx.random.Key: ${name} must be an integer in [0, 2^32), got ${w}`);
      }
    }
    this.k0 = k0;
    this.k1 = k1;
    Object.freeze(this);
  }

  /** The two words as a new `Uint32Array` (JAX's `random.key_data`). */
  data(): Uint32Array {
    return Uint32Array.of(this.k0, this.k1);
  }

  /** Whether `other` holds the same two words. */
  equals(other: Key): boolean {
    return other instanceof Key && other.k0 === this.k0 && other.k1 === this.k1;
  }

  /** `Key(k0, k1)`. */
  toString(): string {
    return `Key(${this.k0}, ${this.k1})`;
  }
}

/** Throws a ValueError unless `k` is a {@link Key}. @internal */
export function checkKey(op: string, k: unknown): asserts k is Key {
  if (!(k instanceof Key)) {
    throw new ValueError(`nx.random.${op}: expected a Key (from nx.random.key(seed)), got ${k === null ? 'null' : typeof k}`);
  }
}

/**
 * {@link checkKey} for the host samplers (`uniformArray`, ...): inside `nx.jit`, host numbers drawn
 * from a key passed to the jitted function would be baked into the graph, so that is an error. @internal
 */
export function checkHostKey(op: string, k: unknown): asserts k is Key {
  checkKey(op, k);
  if (activeTrace()?.isTracedKey(k)) {
    throw new TraceError(`nx.random.${op}: draws numbers on the host from a key passed to a jitted function; they would be baked into the graph as constants. Inside nx.jit use the tensor samplers (nx.random.uniform, normal, bernoulli, ...), which draw again at every call`);
  }
}

const TWO32 = 4294967296;

/**
 * Makes a key from an integer seed, as JAX's `random.key(seed)` / `PRNGKey(seed)`: a seed in
 * `[-2^31, 2^32)` gives the words `[0, seed mod 2^32]` (32-bit JAX); a larger seed, up to
 * `2^53` in magnitude, gives the high and low words of its 64-bit two's complement (JAX with
 * `jax_enable_x64`).
 * @throws ValueError unless `seed` is a safe integer.
 * @example `const k = nx.random.key(0); const [k1, k2] = nx.random.split(k);`
 */
export function key(seed: number): Key {
  if (!Number.isSafeInteger(seed)) throw new ValueError(`nx.random.key: seed must be a safe integer, got ${seed}`);
  if (seed >= -0x80000000 && seed < TWO32) return new Key(0, seed >>> 0);
  const hi = Math.floor(seed / TWO32);
  const lo = seed - hi * TWO32;
  return new Key(hi >>> 0, lo >>> 0);
}

/**
 * Splits a key into `n` new, independent keys (JAX's `random.split` in its default,
 * partitionable mode: key `i` is the Threefry block of counter `i` under `k`).
 * @param n - how many keys; default 2.
 * @throws ValueError unless `n` is a non-negative integer.
 * @example `const [paramsKey, dropoutKey] = nx.random.split(nx.random.key(42));`
 */
export function split(k: Key, n = 2): Key[] {
  checkKey('split', k);
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`nx.random.split: n must be a non-negative integer, got ${n}`);
  const b = blocks(k.k0, k.k1, n);
  const out = new Array<Key>(n);
  for (let i = 0; i < n; i++) out[i] = new Key(b[2 * i]!, b[2 * i + 1]!);
  const trace = activeTrace();
  if (trace) for (let i = 0; i < n; i++) trace.keyDerived(k, out[i]!, { split: n, index: i });
  return out;
}

/**
 * Derives a new key from `k` and an integer (a step number, a layer index), as JAX's
 * `random.fold_in`: the Threefry block of the counter `[0, data mod 2^32]` under `k`.
 * @param data - an integer in `[-2^31, 2^32)`.
 * @throws ValueError when `data` is not such an integer.
 * @example `const stepKey = nx.random.foldIn(baseKey, step);`
 */
export function foldIn(k: Key, data: number): Key {
  checkKey('foldIn', k);
  if (!Number.isInteger(data) || data < -0x80000000 || data >= TWO32) {
    throw new ValueError(`nx.random.foldIn: data must be an integer in [-2^31, 2^32), got ${data}`);
  }
  const [a, b] = threefry2x32(k.k0, k.k1, 0, data >>> 0);
  const out = new Key(a, b);
  activeTrace()?.keyDerived(k, out, { foldIn: data });
  return out;
}
