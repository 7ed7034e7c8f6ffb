/**
 * Reductions over axes: sum, mean, max, min, prod, variance, std, argmax, argmin, logsumexp,
 * all, any, cumsum. `axis` may be one axis, a list, or omitted for all axes; negative axes count
 * from the end. Over no elements they follow NumPy on every backend (sum 0, prod 1, mean NaN,
 * max/min/argmax/argmin an error; see `empty.ts`).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '../errors.js';
import { checkOptions, type OptionKeys } from '../options.js';
import type { DType, Tensor } from '../tensor.js';
import { checkDType, normAxes, normAxis } from './_util.js';
import { emptyReduction, type EmptyValue } from './empty.js';

/** Options of a reduction. */
export interface ReduceOptions {
  /** Axis or axes to reduce; default all. */
  axis?: number | number[];
  /** Keep reduced axes with length 1; default false. */
  keepDims?: boolean;
}

const REDUCE_KEYS: OptionKeys<ReduceOptions> = { axis: true, keepDims: true };

function reducer(op: string, f: (x: Tensor, axis: number[], keepDims: boolean) => Tensor, empty: EmptyValue, floatOnly = false) {
  return (x: Tensor, options: ReduceOptions = {}): Tensor => {
    checkOptions(`nx.${op}`, options, REDUCE_KEYS);
    const axes = normAxes(op, options.axis, x.rank);
    if (x.size === 0) return emptyReduction(op, x, axes, options.keepDims ?? false, empty, floatOnly ? 'float32' : x.dtype === 'bool' ? 'int32' : (x.dtype as DType));
    if (floatOnly && x.dtype !== 'float32') return tf.tidy(() => f(tf.cast(x, 'float32'), axes, options.keepDims ?? false));
    if (x.dtype === 'bool') return tf.tidy(() => f(tf.cast(x, 'int32'), axes, options.keepDims ?? false));
    return f(x, axes, options.keepDims ?? false);
  };
}

/** Sum over axes; 0 over no elements. @example `nx.sum(x, {axis: 1})` */
export const sum = reducer('sum', (x, a, k) => tf.sum(x, a, k), 0);
/** Arithmetic mean over axes; float32; NaN over no elements (as NumPy). */
export const mean = reducer('mean', (x, a, k) => tf.mean(x, a, k), Number.NaN, true);
/** Maximum over axes; over no elements an error (as NumPy: max has no identity). */
export const max = reducer('max', (x, a, k) => tf.max(x, a, k), 'error');
/** Minimum over axes; over no elements an error (as NumPy). */
export const min = reducer('min', (x, a, k) => tf.min(x, a, k), 'error');
/** Product over axes; 1 over no elements. */
export const prod = reducer('prod', (x, a, k) => tf.prod(x, a, k), 1);
/** `log(sum(exp(x)))` over axes, computed stably; float32; -Infinity over no elements (log 0). */
export const logsumexp = reducer('logsumexp', (x, a, k) => tf.logSumExp(x, a, k), Number.NEGATIVE_INFINITY, true);

/** Options of {@link variance} and {@link std}. */
export interface VarianceOptions extends ReduceOptions {
  /**
   * Delta degrees of freedom: divide by `n - ddof`. Default 0, the population variance, as NumPy
   * and JAX. **PyTorch differs**: `torch.var`/`torch.std` default to the unbiased estimator
   * (`correction=1`); pass `{ ddof: 1 }` to get PyTorch's numbers.
   */
  ddof?: number;
}

const VARIANCE_KEYS: OptionKeys<VarianceOptions> = { axis: true, keepDims: true, ddof: true };

/**
 * Variance over axes, float32: NumPy's `var`, dividing by `n - ddof` with `ddof` default 0 (the
 * population variance). PyTorch's `torch.var` divides by `n - 1` by default: `{ ddof: 1 }` matches it.
 * @example `nx.variance(x, { axis: 0, ddof: 1 })` is `torch.var(x, dim=0)`.
 */
export function variance(x: Tensor, options: VarianceOptions = {}): Tensor {
  checkOptions('nx.variance', options, VARIANCE_KEYS);
  const axes = normAxes('variance', options.axis, x.rank);
  if (x.size === 0) return emptyReduction('variance', x, axes, options.keepDims ?? false, Number.NaN, 'float32');
  const n = axes.reduce((acc, a) => acc * (x.shape[a] ?? 1), 1);
  const ddof = options.ddof ?? 0;
  return tf.tidy(() => {
    const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
    const m = tf.mean(xf, axes, true);
    const s = tf.sum(tf.square(tf.sub(xf, m)), axes, options.keepDims ?? false);
    return tf.div(s, Math.max(n - ddof, 0));
  });
}

/**
 * Standard deviation over axes (`sqrt(variance)`), float32, with `ddof` default 0 as NumPy.
 * PyTorch's `torch.std` defaults to the unbiased estimator: `{ ddof: 1 }` matches it.
 * @example `nx.std(x, { ddof: 1 })` is `torch.std(x)`.
 */
export function std(x: Tensor, options: VarianceOptions = {}): Tensor {
  checkOptions('nx.std', options, VARIANCE_KEYS);
  return tf.tidy(() => tf.sqrt(variance(x, options)));
}

/** Options of {@link argmax} and {@link argmin}. */
export interface ArgOptions {
  /** Axis; default: the flattened tensor. */
  axis?: number;
  /** Keep the reduced axis with length 1; default false. */
  keepDims?: boolean;
}

const ARG_KEYS: OptionKeys<ArgOptions> = { axis: true, keepDims: true };

function argReduce(op: string, f: (x: Tensor, axis: number) => Tensor, x: Tensor, options: ArgOptions): Tensor {
  checkOptions(`nx.${op}`, options, ARG_KEYS);
  if (x.size === 0) {
    if (options.axis === undefined) throw new ValueError(`nx.${op}: attempt to take ${op} of an empty tensor (shape [${x.shape.join(', ')}])`);
    return emptyReduction(op, x, [normAxis(op, options.axis, x.rank)], options.keepDims ?? false, 'error', 'int32');
  }
  return tf.tidy(() => {
    if (options.axis === undefined) {
      const r = f(tf.reshape(x, [-1]), 0);
      return options.keepDims ? tf.reshape(r, x.shape.map(() => 1)) : r;
    }
    const axis = normAxis(op, options.axis, x.rank);
    const r = f(x, axis);
    return options.keepDims ? tf.expandDims(r, axis) : r;
  });
}

/** Index of the largest value (first on ties), int32. Over no elements an error (an empty result where no output element reduces over nothing). */
export function argmax(x: Tensor, options: ArgOptions = {}): Tensor { return argReduce('argmax', tf.argMax, x, options); }
/** Index of the smallest value (first on ties), int32. */
export function argmin(x: Tensor, options: ArgOptions = {}): Tensor { return argReduce('argmin', tf.argMin, x, options); }

/** Whether all elements are true over axes (true over no elements). */
export function all(x: Tensor, options: ReduceOptions = {}): Tensor {
  checkOptions('nx.all', options, REDUCE_KEYS);
  const axes = normAxes('all', options.axis, x.rank);
  if (x.size === 0) return emptyReduction('all', x, axes, options.keepDims ?? false, true, 'bool');
  return tf.tidy(() => tf.all(x.dtype === 'bool' ? x : tf.notEqual(x, 0), axes, options.keepDims ?? false));
}
/** Whether any element is true over axes (false over no elements). */
export function any(x: Tensor, options: ReduceOptions = {}): Tensor {
  checkOptions('nx.any', options, REDUCE_KEYS);
  const axes = normAxes('any', options.axis, x.rank);
  if (x.size === 0) return emptyReduction('any', x, axes, options.keepDims ?? false, false, 'bool');
  return tf.tidy(() => tf.any(x.dtype === 'bool' ? x : tf.notEqual(x, 0), axes, options.keepDims ?? false));
}

/** Options of {@link cumsum}. */
export interface CumsumOptions {
  /** Axis; default: the flattened tensor. */
  axis?: number;
  /** Exclusive sum (first element 0); default false. */
  exclusive?: boolean;
  /** Sum from the end; default false. */
  reverse?: boolean;
}

const CUMSUM_KEYS: OptionKeys<CumsumOptions> = { axis: true, exclusive: true, reverse: true };

/** Cumulative sum along an axis (flattened when no axis is given). */
export function cumsum(x: Tensor, options: CumsumOptions = {}): Tensor {
  checkOptions('nx.cumsum', options, CUMSUM_KEYS);
  checkDType('cumsum', x, ['float32', 'int32', 'bool']);
  return tf.tidy(() => {
    const xi = x.dtype === 'bool' ? tf.cast(x, 'int32') : x;
    if (options.axis === undefined) return tf.cumsum(tf.reshape(xi, [-1]), 0, options.exclusive, options.reverse);
    return tf.cumsum(xi, normAxis('cumsum', options.axis, x.rank), options.exclusive, options.reverse);
  });
}
