/**
 * `slice(x, spec)`: NumPy-style basic indexing (integers, ranges with steps, new axes, an
 * ellipsis), composed from `slice`, `reverse`, `pad` and `reshape` so that it is differentiable
 * on every backend (TF.js registers no gradient for `StridedSlice`).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { IndexError, ValueError } from '../errors.js';
import type { Shape, Tensor } from '../tensor.js';
import { fmtShape, gatherAny } from './_util.js';

/**
 * A range along one axis, Python's `start:stop:step`: `[start, stop]` or `[start, stop, step]`.
 * `null` takes the default (the whole axis in the direction of the step; step 1); negative
 * positions count from the end; out-of-range bounds are clamped, as Python does.
 */
export type SliceRange = [number | null, number | null] | [number | null, number | null, number | null];

/**
 * One entry of a {@link SliceSpec}:
 * - an integer: picks one position (negative counts from the end) and removes the axis;
 * - `null`: the whole axis (Python's `:`);
 * - a {@link SliceRange} `[start, stop, step?]`;
 * - `'newaxis'`: inserts an axis of length 1 (NumPy's `None` / `np.newaxis`);
 * - `'...'`: as many whole axes as needed (NumPy's `Ellipsis`), at most once.
 */
export type SliceEntry = number | null | SliceRange | 'newaxis' | '...';

/** A NumPy-like index: one {@link SliceEntry} per leading axis; axes not named are kept whole. */
export type SliceSpec = readonly SliceEntry[];

type AxisOp = { kind: 'index'; at: number } | { kind: 'range'; start: number; step: number; count: number };

function describe(e: unknown): string {
  return e === null ? 'null' : typeof e === 'string' ? `'${e}'` : JSON.stringify(e) ?? String(e);
}

function specText(spec: SliceSpec): string {
  return `[${spec.map(describe).join(', ')}]`;
}

function isRange(e: SliceEntry): e is SliceRange {
  return Array.isArray(e);
}

/** Python's `slice(start, stop, step).indices(length)` plus the element count. @internal */
export function resolveRange(op: string, r: SliceRange, length: number, where: string): { start: number; step: number; count: number } {
  if (r.length < 2 || r.length > 3) throw new ValueError(`nx.${op}: ${where}: a range is [start, stop] or [start, stop, step], got ${describe(r)}`);
  for (const v of r) {
    if (v !== null && v !== undefined && !Number.isInteger(v)) throw new ValueError(`nx.${op}: ${where}: range bounds must be integers or null, got ${describe(r)}`);
  }
  const step = r[2] ?? 1;
  if (step === 0) throw new ValueError(`nx.${op}: ${where}: step must not be 0`);
  const lower = step > 0 ? 0 : -1;
  const upper = step > 0 ? length : length - 1;
  const clamp = (v: number | null | undefined, dflt: number): number => {
    if (v === null || v === undefined) return dflt;
    const w = v < 0 ? v + length : v;
    return w < lower ? lower : w > upper ? upper : w;
  };
  const start = clamp(r[0], step > 0 ? lower : upper);
  const stop = clamp(r[1], step > 0 ? upper : lower);
  const count = step > 0 ? Math.max(0, Math.ceil((stop - start) / step)) : Math.max(0, Math.ceil((start - stop) / -step));
  return { start, step, count };
}

/**
 * Basic indexing with a NumPy-like spec: `slice(x, [0, [1, 5], null, -1])` is NumPy's
 * `x[0, 1:5, :, -1]`. Entries apply to the leading axes in order; see {@link SliceEntry}.
 * The result is a new tensor; gradients flow back to `x` (zeros where nothing was picked).
 * @throws IndexError when an integer index is out of bounds (the message names the axis, its
 *   length and the shape); ValueError for a malformed spec (too many entries, two ellipses,
 *   step 0, non-integers).
 * @example
 * ```ts
 * const x = nx.reshape(nx.arange(24), [2, 3, 4]);
 * nx.slice(x, [1]);                      // x[1]           -> [3, 4]
 * nx.slice(x, [null, [null, null, -1]]); // x[:, ::-1]     -> [2, 3, 4], rows reversed
 * nx.slice(x, ['...', [1, null, 2]]);    // x[..., 1::2]   -> [2, 3, 2]
 * nx.slice(x, [0, 'newaxis', -1]);       // x[0, None, -1] -> [1, 4]
 * ```
 */
export function slice(x: Tensor, spec: SliceSpec): Tensor {
  if (!Array.isArray(spec)) throw new ValueError(`nx.slice: spec must be an array of entries, got ${describe(spec)}`);
  const consuming = spec.filter((e) => e !== 'newaxis' && e !== '...').length;
  const ellipses = spec.filter((e) => e === '...').length;
  if (ellipses > 1) throw new ValueError(`nx.slice: spec ${specText(spec)} has more than one '...'`);
  if (consuming > x.rank) {
    throw new IndexError(`nx.slice: too many indices: spec ${specText(spec)} indexes ${consuming} axes but x has shape ${fmtShape(x.shape)} (rank ${x.rank})`);
  }
  // expand the ellipsis (or the implicit trailing one) into whole-axis entries
  const fill = new Array<SliceEntry>(x.rank - consuming).fill(null);
  const at = spec.indexOf('...');
  const full: SliceEntry[] = at < 0 ? [...spec, ...fill] : [...spec.slice(0, at), ...fill, ...spec.slice(at + 1)];

  const ops: AxisOp[] = [];
  const outShape: Shape = [];
  let axis = 0;
  full.forEach((e) => {
    const where = `entry ${describe(e)} for axis ${axis}`;
    if (e === 'newaxis') { outShape.push(1); return; }
    const length = x.shape[axis]!;
    if (e === null) {
      ops.push({ kind: 'range', start: 0, step: 1, count: length });
      outShape.push(length);
    } else if (typeof e === 'number') {
      if (!Number.isInteger(e)) throw new ValueError(`nx.slice: ${where}: an index must be an integer`);
      if (e < -length || e >= length) {
        throw new IndexError(`nx.slice: index ${e} is out of bounds for axis ${axis} with length ${length} (x shape ${fmtShape(x.shape)}, spec ${specText(spec)})`);
      }
      ops.push({ kind: 'index', at: e < 0 ? e + length : e });
    } else if (isRange(e)) {
      const r = resolveRange('slice', e, length, where);
      ops.push({ kind: 'range', ...r });
      outShape.push(r.count);
    } else {
      throw new ValueError(`nx.slice: entry ${describe(e)} of ${specText(spec)} is not valid; expected an integer, null, [start, stop, step?], 'newaxis' or '...'`);
    }
    axis++;
  });
  return tf.tidy(() => tf.reshape(applyOps(x, ops), outShape));
}

/** Slices, reverses and subsamples `x` per axis; the result keeps every axis (indexed ones have length 1). */
function applyOps(x: Tensor, ops: AxisOp[]): Tensor {
  const begin: number[] = [];
  const size: number[] = [];
  const reverse: number[] = [];
  const strided: Array<{ axis: number; step: number; count: number }> = [];
  ops.forEach((o, a) => {
    if (o.kind === 'index') { begin.push(o.at); size.push(1); return; }
    if (o.count === 0) { begin.push(0); size.push(0); return; }
    const s = Math.abs(o.step);
    const span = (o.count - 1) * s + 1;
    begin.push(o.step > 0 ? o.start : o.start - span + 1);
    size.push(span);
    if (o.step < 0 && o.count > 1) reverse.push(a);
    if (s > 1 && o.count > 1) strided.push({ axis: a, step: s, count: o.count });
  });
  let y = x;
  if (begin.some((b, a) => b !== 0 || size[a] !== x.shape[a])) y = tf.slice(y, begin, size);
  if (reverse.length > 0) y = tf.reverse(y, reverse);
  if (strided.length > 0) y = subsample(y, strided);
  return y;
}

/**
 * Keeps every `step`-th element from the start of each listed axis. For float32 this pads the
 * axis to `count * step`, splits it into `[count, step]` and keeps column 0 (all ops with
 * gradients everywhere); other dtypes gather the positions.
 */
function subsample(y: Tensor, strided: Array<{ axis: number; step: number; count: number }>): Tensor {
  if (y.dtype !== 'float32') {
    let z = y;
    for (const { axis, step, count } of strided) {
      const idx = tf.tensor1d(Int32Array.from({ length: count }, (_, i) => i * step), 'int32');
      z = gatherAny(z, idx, axis);
    }
    return z;
  }
  const widths = y.shape.map(() => [0, 0] as [number, number]);
  const split: number[] = [];
  const begin: number[] = [];
  const size: number[] = [];
  y.shape.forEach((d, a) => {
    const s = strided.find((t) => t.axis === a);
    if (s === undefined) { split.push(d); begin.push(0); size.push(d); return; }
    widths[a] = [0, s.count * s.step - d];
    split.push(s.count, s.step);
    begin.push(0, 0);
    size.push(s.count, 1);
  });
  const padded = tf.pad(y, widths);
  const picked = tf.slice(tf.reshape(padded, split), begin, size);
  const shape = y.shape.map((d, a) => strided.find((t) => t.axis === a)?.count ?? d);
  return tf.reshape(picked, shape);
}
