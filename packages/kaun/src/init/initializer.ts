/**
 * The initializer type and the constant and plain random initializers.
 * @module
 */
import * as nx from '@raven/nx';
import type { DType, Tensor } from '@raven/nx';
import { KaunError } from '../errors.js';

/** A PRNG key of `nx.random`. */
export type Key = nx.random.Key;

/**
 * An initializer: draws a fresh tensor of `shape` and `dtype` (default `'float32'`) from `key`.
 * Any function of this type can be passed where a layer takes an initializer. Constant
 * initializers ignore the key. Fan-based ones read the fans from `shape` (see {@link computeFans}).
 */
export type Initializer = (key: Key, shape: number[], dtype?: DType) => Tensor;

/** Casts a float32 draw to `dtype` when another one is asked for. @internal */
export function toDType(t: Tensor, dtype: DType | undefined): Tensor {
  if (dtype === undefined || dtype === t.dtype) return t;
  const out = nx.cast(t, dtype);
  t.dispose();
  return out;
}

/** Throws unless `v` is a finite number >= 0. @internal */
export function checkNonNegative(fn: string, name: string, v: number): void {
  if (!Number.isFinite(v) || v < 0) throw new KaunError(`${fn}: ${name} must be a finite number >= 0, got ${v}`);
}

/** Fills with 0. */
export const zeros: Initializer = (_key, shape, dtype = 'float32') => nx.zeros(shape, dtype);

/** Fills with 1. */
export const ones: Initializer = (_key, shape, dtype = 'float32') => nx.ones(shape, dtype);

/**
 * Fills with `value`.
 * @example `Layer.layerNorm({ dim: 8, weightInit: Init.constant(0.5) })`
 */
export function constant(value: number): Initializer {
  return (_key, shape, dtype = 'float32') => nx.full(shape, value, dtype);
}

/** Options of {@link uniform}: either `scale` (samples in `[0, scale)`) or `low`/`high`. */
export interface UniformOptions {
  /** Samples in `[0, scale)` (Flax's and Kaun's convention); default 0.01 when `low`/`high` are not given. */
  scale?: number;
  /** Lower bound (inclusive); default 0. */
  low?: number;
  /** Upper bound (exclusive); default `scale`. */
  high?: number;
}

const UNIFORM_KEYS: nx.OptionKeys<UniformOptions> = { scale: true, low: true, high: true };

/**
 * Uniform samples in `[low, high)`; `uniform({scale})` is `[0, scale)`; `uniform()` is `[0, 0.01)`.
 * @throws KaunError unless `low < high` (so `scale` must be positive).
 * @example `Init.uniform({ low: -0.1, high: 0.1 })`
 */
export function uniform(options: UniformOptions = {}): Initializer {
  nx.checkOptions('Init.uniform', options, UNIFORM_KEYS);
  const fn = 'Init.uniform';
  if (options.scale !== undefined) checkNonNegative(fn, 'scale', options.scale);
  const low = options.low ?? 0;
  const high = options.high ?? (options.scale ?? 0.01);
  if (!(high > low) || !Number.isFinite(low) || !Number.isFinite(high)) throw new KaunError(`${fn}: expected finite low < high, got low ${low}, high ${high}`);
  return (key, shape, dtype) => toDType(nx.random.uniform(key, shape, { low, high }), dtype);
}

/** Options of {@link normal}. */
export interface NormalOptions {
  /** Standard deviation; default 0.01 (Flax's default). */
  std?: number;
  /** Mean; default 0. */
  mean?: number;
}

const NORMAL_KEYS: nx.OptionKeys<NormalOptions> = { std: true, mean: true };

/**
 * Normal samples `N(mean, std^2)`.
 * @throws KaunError when `std` is negative.
 * @example `Init.normal({ std: 0.02 })` (BERT's initializer range)
 */
export function normal(options: NormalOptions = {}): Initializer {
  nx.checkOptions('Init.normal', options, NORMAL_KEYS);
  const std = options.std ?? 0.01;
  const mean = options.mean ?? 0;
  checkNonNegative('Init.normal', 'std', std);
  return (key, shape, dtype) => toDType(nx.random.normal(key, shape, { mean, std }), dtype);
}

/** Options of {@link truncatedNormal}. */
export interface TruncatedNormalOptions {
  /** Standard deviation of the normal before truncation; default 0.01. */
  std?: number;
  /** Mean; default 0. */
  mean?: number;
  /** Lower bound in standard deviations from the mean; default -2. */
  lower?: number;
  /** Upper bound in standard deviations from the mean; default 2. */
  upper?: number;
}

const TRUNCATED_KEYS: nx.OptionKeys<TruncatedNormalOptions> = { std: true, mean: true, lower: true, upper: true };

/**
 * Normal samples `N(mean, std^2)` truncated to `[mean + lower*std, mean + upper*std]`
 * (default two standard deviations). The result's standard deviation is smaller than `std`
 * (about `0.88 std` for +-2); {@link varianceScaling} corrects for that, this does not.
 * @throws KaunError when `std` is negative or `upper <= lower`.
 */
export function truncatedNormal(options: TruncatedNormalOptions = {}): Initializer {
  nx.checkOptions('Init.truncatedNormal', options, TRUNCATED_KEYS);
  const fn = 'Init.truncatedNormal';
  const std = options.std ?? 0.01;
  const mean = options.mean ?? 0;
  const lower = options.lower ?? -2;
  const upper = options.upper ?? 2;
  checkNonNegative(fn, 'std', std);
  if (!(upper > lower)) throw new KaunError(`${fn}: expected lower < upper, got lower ${lower}, upper ${upper}`);
  return (key, shape, dtype) => toDType(standardTruncated(key, shape, lower, upper, mean, std), dtype);
}

/** `mean + std * z` with `z` a standard normal truncated to `[lower, upper]`. @internal */
export function standardTruncated(key: Key, shape: number[], lower: number, upper: number, mean: number, std: number): Tensor {
  return nx.random.truncatedNormal(key, shape, { lower, upper, mean, std });
}
