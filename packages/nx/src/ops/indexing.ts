/**
 * Indexing: {@link slice} (NumPy basic indexing with a spec), {@link take}, {@link gather},
 * {@link takeAlongAxis}, {@link oneHot}.
 *
 * Integer indices are int32. They are read on the host to check bounds and wrap negative values
 * (a bad index is an error, not garbage): keep index tensors small or build them on the host.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { DTypeError, IndexError, ShapeError, ValueError } from '../errors.js';
import { checkOptions, type OptionKeys } from '../options.js';
import { activeTrace } from '../jit/hooks.js';
import type { DType, Shape, Tensor } from '../tensor.js';
import { broadcastShapes, fmtShape, gatherAny, normAxis } from './_util.js';
import { safeBroadcastTo } from './empty.js';

export { slice, type SliceEntry, type SliceRange, type SliceSpec } from './slice.js';

/** Indices: an int32 tensor, an integer, or (nested) arrays of integers. */
export type Indices = Tensor | number | number[] | number[][];

/** Reads indices on the host as int32 values plus their shape; throws for other dtypes. */
function readIndices(op: string, indices: Indices): { data: Int32Array; shape: Shape } {
  if (indices instanceof tf.Tensor) {
    if (indices.dtype !== 'int32') {
      throw new DTypeError(`nx.${op}: indices have dtype ${indices.dtype}; expected int32 (use nx.cast(indices, 'int32'))`);
    }
    return { data: indices.dataSync() as Int32Array, shape: indices.shape };
  }
  if (typeof indices === 'number') return { data: checkInts(op, [indices]), shape: [] };
  if (Array.isArray(indices)) {
    if (indices.length > 0 && Array.isArray(indices[0])) {
      const rows = indices as number[][];
      const m = rows[0]!.length;
      if (rows.some((r) => !Array.isArray(r) || r.length !== m)) throw new ShapeError(`nx.${op}: ragged nested index array`);
      return { data: checkInts(op, rows.flat()), shape: [rows.length, m] };
    }
    return { data: checkInts(op, indices as number[]), shape: [indices.length] };
  }
  throw new ValueError(`nx.${op}: indices must be an int32 tensor, an integer or an array of integers`);
}

function checkInts(op: string, v: number[]): Int32Array {
  for (const i of v) if (!Number.isInteger(i)) throw new ValueError(`nx.${op}: indices must be integers, got ${i}`);
  return Int32Array.from(v);
}

/** Checks `-n <= i < n` and wraps negative indices; returns a new array (never the tensor's own buffer). */
function wrapIndices(op: string, data: Int32Array, n: number, axis: number, xShape: Shape): Int32Array {
  const out = new Int32Array(data.length);
  for (let k = 0; k < data.length; k++) {
    const i = data[k]!;
    if (i < -n || i >= n) {
      throw new IndexError(`nx.${op}: index ${i} is out of bounds for axis ${axis} with length ${n} (x shape ${fmtShape(xShape)})`);
    }
    out[k] = i < 0 ? i + n : i;
  }
  return out;
}

/**
 * The int32 index tensor to gather with, negative indices wrapped: read and checked on the host,
 * or, for index tensors computed from the arguments of a function `nx.jit` traces, wrapped on
 * the device (the graph cannot read them; TensorFlow's gather checks the bounds at run time).
 */
function indexTensor(op: string, indices: Indices, n: number, axis: number, xShape: Shape): Tensor {
  if (indices instanceof tf.Tensor && activeTrace()?.isTraced(indices)) {
    if (indices.dtype !== 'int32') throw new DTypeError(`nx.${op}: indices have dtype ${indices.dtype}; expected int32 (use nx.cast(indices, 'int32'))`);
    return tf.tidy(() => tf.add(indices, tf.mul(tf.cast(tf.less(indices, tf.scalar(0, 'int32')), 'int32'), tf.scalar(n, 'int32'))));
  }
  const { data, shape } = readIndices(op, indices);
  return tf.tensor(wrapIndices(op, data, n, axis, xShape), shape, 'int32');
}

/** Options of {@link take}. */
export interface TakeOptions {
  /** The axis to take along; default: the flattened tensor (as NumPy). */
  axis?: number;
}

const AXIS_KEYS: OptionKeys<TakeOptions & GatherOptions> = { axis: true };

/**
 * Picks elements along an axis, as NumPy's `take`: the result's shape is
 * `x.shape[:axis] + indices.shape + x.shape[axis+1:]`. Negative indices count from the end.
 * Without `axis` the tensor is flattened first. Differentiable with respect to `x`.
 * @param indices - int32 tensor, integer, or array of integers.
 * @throws IndexError for an index outside `[-n, n)`; DTypeError for non-int32 index tensors.
 * @example `nx.take(embeddings, tokenIds, { axis: 0 })` gives `[...tokenIds.shape, dim]`.
 */
export function take(x: Tensor, indices: Indices, options: TakeOptions = {}): Tensor {
  checkOptions('nx.take', options, AXIS_KEYS);
  if (options.axis === undefined) {
    return tf.tidy(() => gatherAny(tf.reshape(x, [-1]), indexTensor('take', indices, x.size, 0, x.shape), 0));
  }
  const axis = normAxis('take', options.axis, x.rank);
  return tf.tidy(() => gatherAny(x, indexTensor('take', indices, x.shape[axis]!, axis, x.shape), axis));
}

/** Options of {@link gather}. */
export interface GatherOptions {
  /** The axis to gather along; default 0. */
  axis?: number;
}

/**
 * Gathers slices along `axis` (default 0), as TF's `gather` / PyTorch's `index_select`
 * generalised to index tensors of any shape: the result's shape is
 * `x.shape[:axis] + indices.shape + x.shape[axis+1:]`. It is {@link take} with a default axis of
 * 0 instead of the flattened tensor; negative indices count from the end, out-of-range ones are
 * an error (TF's `batch_dims` is not supported). Differentiable with respect to `x`.
 * @throws IndexError for an index outside `[-n, n)`; DTypeError for non-int32 index tensors.
 * @example `nx.gather(x, [2, 0])` picks rows 2 and 0.
 */
export function gather(x: Tensor, indices: Indices, options: GatherOptions = {}): Tensor {
  checkOptions('nx.gather', options, AXIS_KEYS);
  if (x.rank === 0) throw new ShapeError('nx.gather: x is a scalar; it has no axis to gather along');
  const axis = normAxis('gather', options.axis ?? 0, x.rank);
  return tf.tidy(() => gatherAny(x, indexTensor('gather', indices, x.shape[axis]!, axis, x.shape), axis));
}

/**
 * Picks values along `axis` with an index tensor of the same rank, as NumPy's
 * `take_along_axis`: `out[..., j, ...] = x[..., indices[..., j, ...], ...]`. The other axes
 * broadcast against each other. Typical use: gather per-row values with `argmax` or `argsort`
 * results, or pick the logit of each label. Differentiable with respect to `x`.
 * @throws ShapeError when ranks differ or the other axes do not broadcast; IndexError for an
 *   index outside `[-n, n)`.
 * @example `nx.takeAlongAxis(logits, nx.reshape(labels, [-1, 1]), -1)` gives `[batch, 1]`.
 */
export function takeAlongAxis(x: Tensor, indices: Tensor, axis: number): Tensor {
  if (!(indices instanceof tf.Tensor)) throw new ValueError('nx.takeAlongAxis: indices must be an int32 tensor');
  if (x.rank !== indices.rank) {
    throw new ShapeError(`nx.takeAlongAxis: x ${fmtShape(x.shape)} and indices ${fmtShape(indices.shape)} must have the same rank`);
  }
  const a = normAxis('takeAlongAxis', axis, x.rank);
  const others = (s: Shape): Shape => s.map((d, i) => (i === a ? 1 : d));
  let batch: Shape;
  try {
    batch = broadcastShapes('takeAlongAxis', others(x.shape), others(indices.shape));
  } catch {
    throw new ShapeError(`nx.takeAlongAxis: x ${fmtShape(x.shape)} and indices ${fmtShape(indices.shape)} do not broadcast off axis ${a}`);
  }
  const n = x.shape[a]!;
  const m = indices.shape[a]!;
  return tf.tidy(() => {
    const idx = indexTensor('takeAlongAxis', indices, n, a, x.shape);
    // move the axis last and flatten the rest: x -> [rows, n], indices -> [rows, m]
    const perm = [...Array.from({ length: x.rank }, (_, i) => i).filter((i) => i !== a), a];
    const lead = perm.slice(0, -1).map((i) => batch[i]!);
    const rows = lead.reduce((p, q) => p * q, 1);
    const xb = safeBroadcastTo(x, batch.map((d, i) => (i === a ? n : d)));
    const xt = tf.reshape(tf.transpose(xb, perm), [rows * n]);
    let it = idx;
    it = tf.transpose(safeBroadcastTo(it, batch.map((d, i) => (i === a ? m : d))), perm);
    const offsets = tf.reshape(tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(n, 'int32')), [...lead, 1]);
    const picked = gatherAny(xt, tf.add(it, offsets), 0);
    const inv = perm.map((_, i) => perm.indexOf(i));
    return tf.transpose(picked, inv);
  });
}

/** Options of {@link oneHot}. */
export interface OneHotOptions {
  /** dtype of the result; default `float32`. */
  dtype?: DType;
}

const ONE_HOT_KEYS: OptionKeys<OneHotOptions> = { dtype: true };

/**
 * One-hot encoding: `indices.shape + [depth]`, 1 at each index and 0 elsewhere. An index
 * outside `[0, depth)` (negative ones included) gives a row of zeros, as TF and JAX.
 * @param indices - int32 tensor, integer or array of integers.
 * @throws ValueError unless `depth` is a positive integer; DTypeError for non-int32 indices.
 * @example `nx.oneHot([0, 2], 3)` is `[[1, 0, 0], [0, 0, 1]]`.
 */
export function oneHot(indices: Indices, depth: number, options: OneHotOptions = {}): Tensor {
  checkOptions('nx.oneHot', options, ONE_HOT_KEYS);
  if (!Number.isInteger(depth) || depth < 1) throw new ValueError(`nx.oneHot: depth must be a positive integer, got ${depth}`);
  const dtype = options.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') throw new DTypeError(`nx.oneHot: dtype ${String(dtype)} is not a compute dtype`);
  return tf.tidy(() => {
    let idx: Tensor;
    if (indices instanceof tf.Tensor) {
      if (indices.dtype !== 'int32') throw new DTypeError(`nx.oneHot: indices have dtype ${indices.dtype}; expected int32`);
      idx = indices;
    } else {
      const { data, shape } = readIndices('oneHot', indices);
      idx = tf.tensor(data, shape, 'int32');
    }
    const flat = tf.oneHot(tf.reshape(idx, [-1]), depth);
    const shaped = tf.reshape(flat, [...idx.shape, depth]);
    return shaped.dtype === dtype ? shaped : tf.cast(shaped, dtype);
  });
}
