/**
 * Shared argument checks for nx operations. Internal.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { DisposedTensorError, DTypeError, ShapeError, ValueError } from '../errors.js';
import { checkOptions, type OptionKeys } from '../options.js';
import type { DType, Shape, Tensor } from '../tensor.js';

/** A tensor, or a plain number/boolean promoted to a scalar tensor. */
export type TensorLike = Tensor | number | boolean;

/** Converts numbers to scalar tensors (float32 for numbers, bool for booleans). @internal */
export function asTensor(x: TensorLike, like?: Tensor): Tensor {
  if (x instanceof tf.Tensor) return x;
  if (typeof x === 'boolean') return tf.scalar(x, 'bool');
  const dtype = like && like.dtype === 'int32' && Number.isInteger(x) ? 'int32' : 'float32';
  return tf.scalar(x, dtype);
}

/** NumPy broadcasting of two shapes; throws a ShapeError naming both shapes and the op. @internal */
export function broadcastShapes(op: string, a: Shape, b: Shape): Shape {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`nx.${op}: shapes [${a.join(', ')}] and [${b.join(', ')}] cannot be broadcast together (axis ${i - n}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Resolves a possibly negative axis against a rank; throws a ValueError when out of range. @internal */
export function normAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new ValueError(`nx.${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Resolves an optional axis or axes list to sorted non-negative axes (undefined means all). @internal */
export function normAxes(op: string, axis: number | number[] | undefined, rank: number): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = Array.isArray(axis) ? axis : [axis];
  const out = list.map((a) => normAxis(op, a, rank));
  if (new Set(out).size !== out.length) throw new ValueError(`nx.${op}: repeated axis in [${list.join(', ')}]`);
  return out.sort((p, q) => p - q);
}

/**
 * The axis option of functions that work along one axis (`nx.softmax`, `nx.concatenate`, ...):
 * `{axis}`, as every nx function with an optional axis takes it.
 */
export interface AxisOptions {
  /** The axis; negative counts from the end. The default is the function's. */
  axis?: number;
}

/** The axes option of functions that work along some axes (`nx.squeeze`, `nx.flip`). */
export interface AxesOptions {
  /** One axis or a list; negative counts from the end. Default: the function's (all axes). */
  axis?: number | number[];
}

const AXIS_KEYS: OptionKeys<AxisOptions> = { axis: true };

/**
 * The axis given as `{axis}` or, as these functions took it before, a bare number; `fallback`
 * when absent. Not normalised. @internal
 */
export function axisArg(op: string, arg: AxisOptions | number | undefined, fallback: number): number {
  if (typeof arg === 'number') return arg;
  checkOptions(`nx.${op}`, arg, AXIS_KEYS);
  return arg?.axis ?? fallback;
}

/** {@link axisArg} for one axis or a list; `undefined` when absent. @internal */
export function axesArg(op: string, arg: AxesOptions | number | number[] | undefined): number | number[] | undefined {
  if (typeof arg === 'number' || Array.isArray(arg)) return arg;
  checkOptions(`nx.${op}`, arg, AXIS_KEYS);
  return arg?.axis;
}

/**
 * Throws a DTypeError unless `x` has one of the allowed dtypes, and a DisposedTensorError naming
 * the argument when `x` has been freed. @internal
 */
export function checkDType(op: string, x: Tensor, allowed: DType[], arg = 'x'): void {
  if (x.isDisposed) throw new DisposedTensorError(`nx.${op}`, arg, x);
  if (!allowed.includes(x.dtype as DType)) {
    throw new DTypeError(`nx.${op}: ${arg} has dtype ${x.dtype}; expected ${allowed.join(' or ')}`);
  }
}

/**
 * Throws a DisposedTensorError naming `arg` when `x` is a freed tensor. For operations with
 * several tensor arguments, where the engine's own check could not tell which one it was. @internal
 */
export function checkLive(op: string, arg: string, x: TensorLike): void {
  if (x instanceof tf.Tensor && x.isDisposed) throw new DisposedTensorError(`nx.${op}`, arg, x);
}

/** Formats a shape as `[2, 3]`. @internal */
export function fmtShape(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/** Result dtype of a binary arithmetic op (bool promotes to int32, int32 with float32 to float32). @internal */
export function promote(a: Tensor, b: Tensor): DType {
  if (a.dtype === 'float32' || b.dtype === 'float32') return 'float32';
  if (a.dtype === 'int32' || b.dtype === 'int32') return 'int32';
  return 'int32';
}

/**
 * `tf.gather` for every compute dtype: the wasm backend's GatherV2 aborts on bool, so bool goes
 * through int32. @internal
 */
export function gatherAny(x: Tensor, indices: Tensor, axis: number): Tensor {
  if (x.dtype !== 'bool') return tf.gather(x, indices, axis);
  return tf.tidy(() => tf.cast(tf.gather(tf.cast(x, 'int32'), indices, axis), 'bool'));
}
