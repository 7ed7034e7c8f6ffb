/**
 * Explicit, reproducible random numbers: `nx.random`.
 *
 * A {@link Key} is an immutable value; every sampler is a pure function of its key and shape.
 * Derive keys with {@link split} and {@link foldIn} and use each key once. The bits come from
 * Threefry-2x32 (20 rounds) computed on the host in JavaScript, so the same key gives the same
 * numbers on the wasm, cpu and tensorflow backends.
 *
 * Relation to JAX: keys ({@link key}, {@link split}, {@link foldIn}), raw bits and
 * {@link uniform} are bit for bit JAX's `jax.random` with its default Threefry implementation in
 * partitionable mode (`jax_threefry_partitionable=True`, the default since JAX 0.5.0);
 * {@link normal}, {@link truncatedNormal}, {@link bernoulli} and {@link categorical} follow JAX's
 * formulas and agree up to float32 rounding of `erfinv`/`log`; {@link randint} and
 * {@link permutation} use their own (documented) streams and differ from JAX.
 *
 * @example
 * ```ts
 * const key = nx.random.key(0);
 * const [k1, k2] = nx.random.split(key);
 * const w = nx.random.normal(k1, [784, 128], { std: 0.05 });
 * const order = nx.random.permutationArray(k2, 60000); // host-side shuffle
 * ```
 * @module
 */
export { Key, key, split, foldIn } from './key.js';
export { threefry2x32 } from './threefry.js';
export {
  bitsArray,
  uniformArray,
  normalArray,
  truncatedNormalArray,
  randintArray,
  permutationArray,
} from './host.js';
export {
  uniform,
  normal,
  truncatedNormal,
  randint,
  bernoulli,
  permutation,
  categorical,
  type UniformOptions,
  type NormalOptions,
  type TruncatedNormalOptions,
  type CategoricalOptions,
} from './sample.js';
