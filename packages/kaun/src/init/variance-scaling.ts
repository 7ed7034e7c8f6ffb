/**
 * Variance-scaling initializers and the Glorot/Xavier, He/Kaiming and LeCun families.
 * @module
 */
import * as nx from '@raven/nx';
import { KaunError } from '../errors.js';
import { checkNonNegative, standardTruncated, toDType, type Initializer } from './initializer.js';

/** The fans of a parameter shape. */
export interface Fans {
  /** Inputs per output unit. */
  fanIn: number;
  /** Outputs per input unit. */
  fanOut: number;
}

/**
 * The fans of a parameter of `shape`, in PyTorch's layout (as `torch.nn.init`):
 * a dense weight `[out, in]` has `fanIn = in`, `fanOut = out`; a convolution weight
 * `[O, C, k...]` has `fanIn = C * prod(k)` and `fanOut = O * prod(k)` (the receptive field
 * multiplies both); a vector `[n]` has `fanIn = fanOut = n`; a scalar has 1 and 1.
 * @example `Init.computeFans([16, 3, 5, 5])` is `{ fanIn: 75, fanOut: 400 }`.
 */
export function computeFans(shape: readonly number[]): Fans {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i]!;
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/** Which fan {@link varianceScaling} divides by. */
export type FanMode = 'fanIn' | 'fanOut' | 'fanAvg';

/** The distribution {@link varianceScaling} draws from. */
export type Distribution = 'truncatedNormal' | 'normal' | 'uniform';

/** Options of {@link varianceScaling}. */
export interface VarianceScalingOptions {
  /** Target variance numerator; default 1. */
  scale?: number;
  /** `fanIn` (default), `fanOut` or `fanAvg` (`(fanIn + fanOut) / 2`). */
  mode?: FanMode;
  /** `truncatedNormal` (default), `normal` or `uniform`. */
  distribution?: Distribution;
}

const VARIANCE_SCALING_KEYS: nx.OptionKeys<VarianceScalingOptions> = { scale: true, mode: true, distribution: true };

/**
 * The standard deviation of a standard normal truncated to [-2, 2]; dividing by it makes a
 * truncated draw's variance the target one (the constant JAX and Flax use).
 */
export const TRUNCATED_NORMAL_STD = 0.87962566103423978;

/**
 * Samples with variance `scale / n` where `n` is the fan chosen by `mode` (fans from
 * {@link computeFans}): `normal` draws `N(0, scale/n)`; `truncatedNormal` draws a normal
 * truncated to two standard deviations with std `sqrt(scale/n) / 0.8796...` so the result has
 * variance `scale/n`; `uniform` draws `U(-l, l)` with `l = sqrt(3 scale / n)`. As
 * `jax.nn.initializers.variance_scaling`.
 * @throws KaunError when `scale` is negative or an option is unknown, and, when applied, when the fan is 0.
 * @example `Init.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'normal' })`
 */
export function varianceScaling(options: VarianceScalingOptions = {}): Initializer {
  nx.checkOptions('Init.varianceScaling', options, VARIANCE_SCALING_KEYS);
  const fn = 'Init.varianceScaling';
  const scale = options.scale ?? 1;
  const mode = options.mode ?? 'fanIn';
  const distribution = options.distribution ?? 'truncatedNormal';
  checkNonNegative(fn, 'scale', scale);
  if (!['fanIn', 'fanOut', 'fanAvg'].includes(mode)) throw new KaunError(`${fn}: mode must be 'fanIn', 'fanOut' or 'fanAvg', got ${String(mode)}`);
  if (!['truncatedNormal', 'normal', 'uniform'].includes(distribution)) throw new KaunError(`${fn}: distribution must be 'truncatedNormal', 'normal' or 'uniform', got ${String(distribution)}`);
  return (key, shape, dtype) => {
    const { fanIn, fanOut } = computeFans(shape);
    const n = mode === 'fanIn' ? fanIn : mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2;
    if (!(n > 0)) throw new KaunError(`${fn}: the ${mode} of shape [${shape.join(', ')}] is ${n}; it must be positive`);
    const variance = scale / n;
    if (variance === 0) return nx.zeros(shape, dtype ?? 'float32');
    let t;
    if (distribution === 'uniform') {
      const limit = Math.sqrt(3 * variance);
      t = nx.random.uniform(key, shape, { low: -limit, high: limit });
    } else if (distribution === 'normal') {
      t = nx.random.normal(key, shape, { mean: 0, std: Math.sqrt(variance) });
    } else {
      t = standardTruncated(key, shape, -2, 2, 0, Math.sqrt(variance) / TRUNCATED_NORMAL_STD);
    }
    return toDType(t, dtype);
  };
}

/** Glorot/Xavier uniform: `U(-l, l)`, `l = sqrt(6 / (fanIn + fanOut))` (scale 1, fanAvg, uniform). */
export const glorotUniform: Initializer = varianceScaling({ scale: 1, mode: 'fanAvg', distribution: 'uniform' });
/** Glorot/Xavier normal: truncated normal with variance `2 / (fanIn + fanOut)` (as JAX). */
export const glorotNormal: Initializer = varianceScaling({ scale: 1, mode: 'fanAvg', distribution: 'truncatedNormal' });
/** He/Kaiming uniform: `U(-l, l)`, `l = sqrt(6 / fanIn)`, for ReLU networks. */
export const heUniform: Initializer = varianceScaling({ scale: 2, mode: 'fanIn', distribution: 'uniform' });
/** He/Kaiming normal: truncated normal with variance `2 / fanIn` (as JAX). */
export const heNormal: Initializer = varianceScaling({ scale: 2, mode: 'fanIn', distribution: 'truncatedNormal' });
/** LeCun uniform: `U(-l, l)`, `l = sqrt(3 / fanIn)`. */
export const lecunUniform: Initializer = varianceScaling({ scale: 1, mode: 'fanIn', distribution: 'uniform' });
/** LeCun normal: truncated normal with variance `1 / fanIn` (as JAX; Flax's default kernel init). */
export const lecunNormal: Initializer = varianceScaling({ scale: 1, mode: 'fanIn', distribution: 'truncatedNormal' });

/**
 * PyTorch's default for `nn.Linear` and `nn.ConvNd` weights (`kaiming_uniform_(a=sqrt(5))`):
 * `U(-1/sqrt(fanIn), 1/sqrt(fanIn))`, i.e. variance scaling with scale 1/3, fanIn, uniform.
 */
export const torchDefault: Initializer = varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform' });

/**
 * `U(-1/sqrt(fanIn), 1/sqrt(fanIn))` for any shape, with `fanIn` given: PyTorch's default bias
 * initializer, whose bound comes from the weight's fan-in.
 * @throws KaunError when `fanIn` is not positive.
 */
export function torchBias(fanIn: number): Initializer {
  if (!(fanIn > 0)) throw new KaunError(`Init.torchBias: fanIn must be positive, got ${fanIn}`);
  const bound = 1 / Math.sqrt(fanIn);
  return (key, shape, dtype) => toDType(nx.random.uniform(key, shape, { low: -bound, high: bound }), dtype);
}
