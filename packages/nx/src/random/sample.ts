/**
 * Tensor samplers: uniform, normal, truncatedNormal, randint, bernoulli, permutation,
 * categorical. Every sampler draws its bits on the host from the key (see `host.ts`), so a key
 * gives the same numbers on every backend.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { fmtShape, gatherAny, normAxis } from '../ops/_util.js';
import { activeTrace } from '../jit/hooks.js';
import { checkOptions, type OptionKeys } from '../options.js';
import type { DType, Shape, Tensor, TypedArray } from '../tensor.js';
import { checkKey, Key } from './key.js';
import { normalArray, permutationArray, randintArray, truncatedNormalArray, uniformArray } from './host.js';

function sizeOf(op: string, shape: Shape): number {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(`nx.random.${op}: shape ${JSON.stringify(shape)} must be a list of non-negative integers`);
  }
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * A tensor of numbers drawn on the host from `key` by `draw`. Inside `nx.jit`, when the key is
 * (derived from) an argument of the jitted function, the tensor is an input of the graph drawn
 * again at every call from that call's key, not a constant.
 */
function drawn(key: Key, draw: (k: Key) => TypedArray, shape: Shape, dtype: DType): Tensor {
  const trace = activeTrace();
  if (!trace) return tf.tensor(draw(key), shape, dtype);
  const t = tf.tensor(draw(new Key(key.k0, key.k1)), shape, dtype); // a plain copy: drawing from it is allowed
  trace.randomTensor(t, key, draw);
  return t;
}

/** Options of {@link uniform}. */
export interface UniformOptions {
  /** Lower bound (inclusive); default 0. */
  low?: number;
  /** Upper bound (exclusive); default 1. */
  high?: number;
}

const UNIFORM_KEYS: OptionKeys<UniformOptions> = { low: true, high: true };

/**
 * float32 numbers uniform in `[low, high)`, bit for bit JAX's `random.uniform` (default,
 * partitionable Threefry mode).
 * @throws ShapeError for a bad shape; ValueError unless `low < high`.
 * @example `nx.random.uniform(key, [2, 3], { low: -1, high: 1 })`
 */
export function uniform(key: Key, shape: Shape, options: UniformOptions = {}): Tensor {
  checkKey('uniform', key);
  checkOptions('nx.random.uniform', options, UNIFORM_KEYS);
  const n = sizeOf('uniform', shape);
  const low = options.low ?? 0;
  const high = options.high ?? 1;
  return drawn(key, (k) => uniformArray(k, n, low, high), shape, 'float32');
}

/** Options of {@link normal}. */
export interface NormalOptions {
  /** Mean; default 0. */
  mean?: number;
  /** Standard deviation; default 1. */
  std?: number;
}

const NORMAL_KEYS: OptionKeys<NormalOptions> = { mean: true, std: true };

function affine(a: Float32Array, mean: number, std: number): Float32Array {
  if (mean !== 0 || std !== 1) for (let i = 0; i < a.length; i++) a[i] = a[i]! * std + mean;
  return a;
}

/**
 * float32 normal numbers `mean + std * z`, `z` as JAX's `random.normal` (`√2 erfinv(u)`).
 * @throws ShapeError for a bad shape; ValueError for a negative `std`.
 */
export function normal(key: Key, shape: Shape, options: NormalOptions = {}): Tensor {
  checkKey('normal', key);
  checkOptions('nx.random.normal', options, NORMAL_KEYS);
  const n = sizeOf('normal', shape);
  const std = options.std ?? 1;
  if (!(std >= 0)) throw new ValueError(`nx.random.normal: std must be >= 0, got ${std}`);
  const mean = options.mean ?? 0;
  return drawn(key, (k) => affine(normalArray(k, n), mean, std), shape, 'float32');
}

/** Options of {@link truncatedNormal}. */
export interface TruncatedNormalOptions extends NormalOptions {
  /** Lower bound of the standard normal before scaling; default -2. */
  lower?: number;
  /** Upper bound of the standard normal before scaling; default 2. */
  upper?: number;
}

const TRUNCATED_KEYS: OptionKeys<TruncatedNormalOptions> = { mean: true, std: true, lower: true, upper: true };

/**
 * A standard normal truncated to `[lower, upper]` (as JAX's `random.truncated_normal`), then
 * scaled: `mean + std * z`. With the defaults it is the truncated normal of weight initialisers.
 * @throws ShapeError for a bad shape; ValueError unless `lower < upper` and `std >= 0`.
 * @example `nx.random.truncatedNormal(key, [768, 768], { std: 0.02 })`
 */
export function truncatedNormal(key: Key, shape: Shape, options: TruncatedNormalOptions = {}): Tensor {
  checkKey('truncatedNormal', key);
  checkOptions('nx.random.truncatedNormal', options, TRUNCATED_KEYS);
  const n = sizeOf('truncatedNormal', shape);
  const std = options.std ?? 1;
  if (!(std >= 0)) throw new ValueError(`nx.random.truncatedNormal: std must be >= 0, got ${std}`);
  const { lower = -2, upper = 2, mean = 0 } = options;
  return drawn(key, (k) => affine(truncatedNormalArray(k, n, lower, upper), mean, std), shape, 'float32');
}

/**
 * int32 integers uniform in `[low, high)`.
 * @throws ShapeError for a bad shape; ValueError unless `low < high` are int32 integers.
 * @example `nx.random.randint(key, [8], 0, 10)`
 */
export function randint(key: Key, shape: Shape, low: number, high: number): Tensor {
  checkKey('randint', key);
  const n = sizeOf('randint', shape);
  return drawn(key, (k) => randintArray(k, n, low, high), shape, 'int32');
}

/**
 * bool samples, true with probability `p` (`uniform < p`, as JAX's `random.bernoulli`).
 * @param p - a probability in `[0, 1]`, or a float32 tensor of probabilities broadcast to `shape`.
 * @param shape - default: `p`'s shape (`[]` for a number).
 * @throws ValueError for `p` outside `[0, 1]`; ShapeError if `p` does not broadcast to `shape`.
 * @example `const keepMask = nx.random.bernoulli(key, 0.9, [128, 256]);`
 */
export function bernoulli(key: Key, p: number | Tensor, shape?: Shape): Tensor {
  checkKey('bernoulli', key);
  if (typeof p === 'number') {
    if (!(p >= 0 && p <= 1)) throw new ValueError(`nx.random.bernoulli: p must be in [0, 1], got ${p}`);
    const s = shape ?? [];
    const n = sizeOf('bernoulli', s);
    const pf = Math.fround(p);
    return drawn(key, (k) => {
      const u = uniformArray(k, n);
      const out = new Uint8Array(u.length);
      for (let i = 0; i < u.length; i++) out[i] = u[i]! < pf ? 1 : 0;
      return out;
    }, s, 'bool');
  }
  const s = shape ?? p.shape;
  const n = sizeOf('bernoulli', s);
  const fits = p.rank <= s.length && p.shape.every((d, i) => d === 1 || d === s[s.length - p.rank + i]);
  if (!fits) throw new ShapeError(`nx.random.bernoulli: p of shape ${fmtShape(p.shape)} does not broadcast to shape ${fmtShape(s)}`);
  return tf.tidy(() => tf.less(drawn(key, (k) => uniformArray(k, n), s, 'float32'), tf.cast(p, 'float32')));
}

/**
 * A random permutation of `0 .. n-1` (int32), or of a tensor's first axis when given a tensor.
 * @throws ValueError unless `n` is a non-negative integer.
 * @example `nx.random.permutation(key, 5)` might give `[3, 0, 4, 1, 2]`.
 */
export function permutation(key: Key, n: number | Tensor): Tensor {
  checkKey('permutation', key);
  if (typeof n === 'number') return drawn(key, (k) => permutationArray(k, n), [n], 'int32');
  if (n.rank === 0) throw new ShapeError('nx.random.permutation: cannot permute a 0-d tensor; pass a length or a tensor of rank >= 1');
  const m = n.shape[0]!;
  return tf.tidy(() => gatherAny(n, drawn(key, (k) => permutationArray(k, m), [m], 'int32'), 0));
}

/** Options of {@link categorical}. */
export interface CategoricalOptions {
  /** The axis of `logits` that holds the categories; default -1. */
  axis?: number;
  /**
   * Shape of the result; default: `logits`' shape without `axis`. It must end with that batch
   * shape (or one that broadcasts to it); leading axes give independent draws.
   */
  shape?: Shape;
}

const CATEGORICAL_KEYS: OptionKeys<CategoricalOptions> = { axis: true, shape: true };

/**
 * Draws category indices (int32) from unnormalised log-probabilities, with the Gumbel-max trick
 * as JAX's `random.categorical`: `argmax(logits + g)`, `g = -log(-log(u))`. The noise is made on
 * the host, so draws do not depend on the backend.
 * @throws DTypeError unless `logits` is float32; ShapeError if `shape` does not fit.
 * @example `nx.random.categorical(key, nx.log(probs))` gives one index per row of `probs`.
 */
export function categorical(key: Key, logits: Tensor, options: CategoricalOptions = {}): Tensor {
  checkKey('categorical', key);
  checkOptions('nx.random.categorical', options, CATEGORICAL_KEYS);
  if (logits.dtype !== 'float32') throw new DTypeError(`nx.random.categorical: logits has dtype ${logits.dtype}; expected float32`);
  if (logits.rank === 0) throw new ShapeError('nx.random.categorical: logits must have rank >= 1 (one axis of categories)');
  const axis = normAxis('random.categorical', options.axis ?? -1, logits.rank);
  const n = logits.shape[axis]!;
  const batch = logits.shape.filter((_, i) => i !== axis);
  const shape = options.shape ?? batch;
  sizeOf('categorical', shape);
  const fits = batch.length <= shape.length && batch.every((d, i) => d === 1 || d === shape[shape.length - batch.length + i]);
  if (!fits) {
    throw new ShapeError(`nx.random.categorical: shape ${fmtShape(shape)} does not end with the batch shape ${fmtShape(batch)} of logits ${fmtShape(logits.shape)} (axis ${axis})`);
  }
  const size = shape.reduce((a, b) => a * b, 1) * n;
  const gumbel = (k: Key): Float32Array => {
    const g = uniformArray(k, size, 1.1754943508222875e-38, 1); // JAX: minval = finfo(float32).tiny
    for (let i = 0; i < size; i++) g[i] = -Math.log(-Math.log(g[i]!));
    return g;
  };
  return tf.tidy(() => {
    const moved = axis === logits.rank - 1 ? logits : tf.transpose(logits, [...batch.map((_, i) => (i < axis ? i : i + 1)), axis]);
    const scores = tf.add(tf.reshape(moved, [...batch, n]), drawn(key, gumbel, [...shape, n], 'float32'));
    return tf.argMax(scores, -1);
  });
}
