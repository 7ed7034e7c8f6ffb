/**
 * Shape operations: reshape, transpose, squeeze, expandDims, concatenate, stack, split, pad,
 * tile, flip, broadcastTo.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import type { Shape, Tensor } from '../tensor.js';
import { axesArg, axisArg, broadcastShapes, fmtShape, normAxes, normAxis, type AxesOptions, type AxisOptions } from './_util.js';
import { safeBroadcastTo } from './empty.js';

export type { AxesOptions, AxisOptions } from './_util.js';

/**
 * Gives `x` a new shape with the same number of elements; one length may be `-1` (inferred).
 * @throws ShapeError naming both shapes when the sizes differ.
 */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1 || shape.some((d) => !Number.isInteger(d) || d < -1)) {
    throw new ShapeError(`nx.reshape: invalid target shape ${fmtShape(shape)} (at most one -1, other lengths >= 0)`);
  }
  const known = shape.reduce((a, d) => (d === -1 ? a : a * d), 1);
  if (unknown === 1 ? known === 0 || x.size % known !== 0 : known !== x.size) {
    throw new ShapeError(`nx.reshape: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) into ${fmtShape(shape)}`);
  }
  return tf.reshape(x, shape);
}

/** Permutes the axes; default reverses them. @throws ValueError if `perm` is not a permutation. */
export function transpose(x: Tensor, perm?: number[]): Tensor {
  if (perm !== undefined) {
    const p = perm.map((a) => normAxis('transpose', a, x.rank));
    if (p.length !== x.rank || new Set(p).size !== p.length) {
      throw new ValueError(`nx.transpose: perm [${perm.join(', ')}] is not a permutation of the ${x.rank} axes of ${fmtShape(x.shape)}`);
    }
    return tf.transpose(x, p);
  }
  return tf.transpose(x);
}

/** Alias of {@link transpose} with an explicit permutation (PyTorch's `permute`). */
export function permute(x: Tensor, perm: number[]): Tensor { return transpose(x, perm); }

/** Swaps two axes. */
export function swapAxes(x: Tensor, a: number, b: number): Tensor {
  const p = Array.from({ length: x.rank }, (_, i) => i);
  const i = normAxis('swapAxes', a, x.rank);
  const j = normAxis('swapAxes', b, x.rank);
  [p[i], p[j]] = [p[j]!, p[i]!];
  return tf.transpose(x, p);
}

/**
 * Removes axes of length 1: all of them, or the given ones (`nx.squeeze(x, { axis: 0 })`; a bare
 * number or list works too). @throws ShapeError if a given axis is not 1.
 */
export function squeeze(x: Tensor, options: AxesOptions | number | number[] = {}): Tensor {
  const axis = axesArg('squeeze', options);
  if (axis === undefined) return tf.reshape(x, x.shape.filter((d) => d !== 1));
  const axes = normAxes('squeeze', axis, x.rank);
  for (const a of axes) if (x.shape[a] !== 1) throw new ShapeError(`nx.squeeze: axis ${a} of ${fmtShape(x.shape)} has length ${x.shape[a]}, not 1`);
  return tf.reshape(x, x.shape.filter((_, i) => !axes.includes(i)));
}

/** Inserts an axis of length 1 at `axis` (may be negative, counted in the result's rank). */
export function expandDims(x: Tensor, axis: number): Tensor {
  const a = normAxis('expandDims', axis, x.rank + 1);
  const s = [...x.shape];
  s.splice(a, 0, 1);
  return tf.reshape(x, s);
}

/**
 * Joins tensors along an existing axis: `nx.concatenate([a, b], { axis: 1 })` (default 0; a bare
 * number works too).
 * @throws ShapeError naming the shapes when they differ off the axis.
 */
export function concatenate(xs: Tensor[], options: AxisOptions | number = {}): Tensor {
  const axis = axisArg('concatenate', options, 0);
  if (xs.length === 0) throw new ValueError('nx.concatenate: needs at least one tensor');
  const r = xs[0]!.rank;
  const a = normAxis('concatenate', axis, r);
  for (const t of xs) {
    if (t.rank !== r || t.shape.some((d, i) => i !== a && d !== xs[0]!.shape[i])) {
      throw new ShapeError(`nx.concatenate: shapes ${xs.map((u) => fmtShape(u.shape)).join(', ')} differ off axis ${a}`);
    }
    if (t.dtype !== xs[0]!.dtype) {
      throw new DTypeError(`nx.concatenate: dtypes differ (${xs.map((u) => u.dtype).join(', ')}); cast them to one dtype first`);
    }
  }
  if (xs.length === 1) return tf.clone(xs[0]!);
  return tf.concat(xs, a);
}

/**
 * Stacks tensors of equal shape along a new axis: `nx.stack(xs, { axis: 1 })` (default 0; a bare
 * number works too). @throws ShapeError if shapes differ.
 */
export function stack(xs: Tensor[], options: AxisOptions | number = {}): Tensor {
  const axis = axisArg('stack', options, 0);
  if (xs.length === 0) throw new ValueError('nx.stack: needs at least one tensor');
  for (const t of xs) {
    if (t.rank !== xs[0]!.rank || t.shape.some((d, i) => d !== xs[0]!.shape[i])) {
      throw new ShapeError(`nx.stack: all shapes must be equal, got ${xs.map((u) => fmtShape(u.shape)).join(', ')}`);
    }
    if (t.dtype !== xs[0]!.dtype) {
      throw new DTypeError(`nx.stack: dtypes differ (${xs.map((u) => u.dtype).join(', ')}); cast them to one dtype first`);
    }
  }
  return tf.stack(xs, normAxis('stack', axis, xs[0]!.rank + 1));
}

/**
 * Splits along an axis into `sections` equal parts, or into parts of the given sizes:
 * `nx.split(x, 3, { axis: 1 })` (default axis 0; a bare number works too).
 * @throws ShapeError if the axis does not divide evenly or sizes do not add up.
 */
export function split(x: Tensor, sections: number | number[], options: AxisOptions | number = {}): Tensor[] {
  const a = normAxis('split', axisArg('split', options, 0), x.rank);
  const n = x.shape[a]!;
  if (typeof sections === 'number') {
    if (!Number.isInteger(sections) || sections <= 0 || n % sections !== 0) {
      throw new ShapeError(`nx.split: axis ${a} of ${fmtShape(x.shape)} (length ${n}) cannot be split into ${sections} equal parts`);
    }
  } else if (sections.reduce((p, q) => p + q, 0) !== n) {
    throw new ShapeError(`nx.split: sizes [${sections.join(', ')}] do not add up to ${n}, the length of axis ${a} of ${fmtShape(x.shape)}`);
  }
  return tf.split(x, sections, a);
}

/**
 * Pads with a constant: `widths` holds `[before, after]` per axis (or one pair for all axes).
 * @param mode - `constant` (default), `reflect` or `symmetric`.
 */
export function pad(x: Tensor, widths: Array<[number, number]> | [number, number], value = 0, mode: 'constant' | 'reflect' | 'symmetric' = 'constant'): Tensor {
  const w: Array<[number, number]> = typeof widths[0] === 'number' ? x.shape.map(() => widths as [number, number]) : (widths as Array<[number, number]>);
  if (w.length !== x.rank) throw new ShapeError(`nx.pad: ${w.length} pad widths for a tensor of rank ${x.rank} (${fmtShape(x.shape)})`);
  if (w.some(([p, q]) => p < 0 || q < 0 || !Number.isInteger(p) || !Number.isInteger(q))) throw new ValueError('nx.pad: widths must be non-negative integers');
  if (mode === 'constant') return tf.pad(x, w, value);
  const limit = mode === 'reflect' ? 1 : 0; // reflect leaves out the edge, symmetric repeats it
  w.forEach(([p, q], i) => {
    const n = x.shape[i]!;
    if (n === 0 && p + q > 0) throw new ValueError(`nx.pad: cannot extend the empty axis ${i} of ${fmtShape(x.shape)} in mode ${mode} (only 'constant' can, as in NumPy)`);
    if (n > 0 && Math.max(p, q) > n - limit) throw new ValueError(`nx.pad: widths [${p}, ${q}] on axis ${i} of ${fmtShape(x.shape)} are too wide for mode ${mode} (at most ${n - limit})`);
  });
  if (x.size === 0) return tf.zeros(x.shape.map((d, i) => d + w[i]![0] + w[i]![1]), x.dtype); // nothing to mirror, nothing added
  return tf.mirrorPad(x, w, mode);
}

/** Repeats the tensor `reps[i]` times along axis i (NumPy's `tile`; `reps` shorter than the rank pads with 1). */
export function tile(x: Tensor, reps: number[]): Tensor {
  if (!Array.isArray(reps) || reps.some((r) => !Number.isInteger(r) || r < 0)) {
    throw new ValueError(`nx.tile: reps ${JSON.stringify(reps)} must be a list of non-negative integers`);
  }
  if (reps.length > x.rank) return tf.tile(tf.reshape(x, [...Array(reps.length - x.rank).fill(1), ...x.shape]), reps);
  const r = [...Array(x.rank - reps.length).fill(1), ...reps];
  return tf.tile(x, r);
}

/** Reverses the order of elements along the given axes, `{ axis }` (all when omitted; a bare number or list works too). */
export function flip(x: Tensor, options: AxesOptions | number | number[] = {}): Tensor {
  const axis = axesArg('flip', options);
  if (x.rank === 0) return tf.clone(x);
  const axes = normAxes('flip', axis, x.rank);
  // the wasm backend's Reverse corrupts memory on bool tensors: reverse them as int32
  if (x.dtype === 'bool') return tf.tidy(() => tf.cast(tf.reverse(tf.cast(x, 'int32'), axes), 'bool'));
  return tf.reverse(x, axes);
}

/** Broadcasts to `shape` (NumPy rules). @throws ShapeError when `x` cannot broadcast to it. */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  const out = broadcastShapes('broadcastTo', x.shape, shape);
  if (out.length !== shape.length || out.some((d, i) => d !== shape[i])) {
    throw new ShapeError(`nx.broadcastTo: ${fmtShape(x.shape)} cannot be broadcast to ${fmtShape(shape)}`);
  }
  return safeBroadcastTo(x, shape);
}
