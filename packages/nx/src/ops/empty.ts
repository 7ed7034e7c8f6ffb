/**
 * Reductions over no elements, as NumPy defines them, computed without running a kernel (the
 * wasm kernels return leftover heap memory for an empty input, and backends disagree): sum 0,
 * prod 1, mean and variance NaN, logsumexp -Infinity, all true, any false; max, min, argmax and
 * argmin have no identity and are an error when the reduced axes hold no element.
 * An input with no elements but a non-empty reduced axis gives an empty result. Internal.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '../errors.js';
import type { DType, Tensor } from '../tensor.js';
import { fmtShape } from './_util.js';

/** What a reduction gives over no elements: a value, or `'error'` when it has no identity. */
export type EmptyValue = number | boolean | 'error';

/** The shape of a reduction's result. @internal */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/**
 * NumPy's result of reducing `x` (which has no elements) over `axes`: a tensor of the reduced
 * shape filled with `value` in `dtype`.
 * @throws ValueError when `value` is `'error'` and the reduced axes hold no element.
 * @internal
 */
export function emptyReduction(op: string, x: Tensor, axes: readonly number[], keepDims: boolean, value: EmptyValue, dtype: DType): Tensor {
  const shape = reducedShape(x.shape, axes, keepDims);
  if (value === 'error') {
    // as NumPy: an error when the reduced axes hold no element, even if the result is empty
    if (axes.reduce((n, a) => n * x.shape[a]!, 1) === 0) {
      throw new ValueError(`nx.${op}: reducing shape ${fmtShape(x.shape)} over axis ${axes.length === 1 ? axes[0] : fmtShape(axes)} reduces over no elements, and ${op} has no value for that (NumPy: "zero-size array to reduction operation ${op} which has no identity"); check that the input is not empty`);
    }
    return tf.zeros(shape, dtype);
  }
  if (dtype === 'bool') return tf.tidy(() => tf.cast(tf.fill(shape, value === true ? 1 : 0, 'int32'), 'bool'));
  return tf.fill(shape, Number(value), dtype);
}

/** `tf.sum` that gives zeros (not leftover memory) when `t` has no elements. @internal */
export function safeSum(t: Tensor, axes?: number | number[], keepDims = false): Tensor {
  if (t.size > 0) return tf.sum(t, axes, keepDims);
  const list = axes === undefined ? t.shape.map((_, i) => i) : (Array.isArray(axes) ? axes : [axes]).map((a) => (a < 0 ? a + t.rank : a));
  return tf.zeros(reducedShape(t.shape, list, keepDims), t.dtype === 'bool' ? 'int32' : (t.dtype as DType));
}

/** `tf.matMul` that gives zeros when the contracted length is 0 (a sum over nothing). @internal */
export function safeMatMul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
  const k = transposeA ? a.shape[a.rank - 2]! : a.shape[a.rank - 1]!;
  if (k > 0) return tf.matMul(a, b, transposeA, transposeB);
  const n = transposeA ? a.shape[a.rank - 1]! : a.shape[a.rank - 2]!;
  const m = transposeB ? b.shape[b.rank - 2]! : b.shape[b.rank - 1]!;
  return tf.zeros([...a.shape.slice(0, -2), n, m], a.dtype as DType);
}

/** `tf.broadcastTo` that builds a zero-sized target itself (TF.js broadcasts `[1, 3]` to `[0, 3]` as `[1, 3]`). @internal */
export function safeBroadcastTo(t: Tensor, shape: number[]): Tensor {
  return shape.includes(0) ? tf.zeros(shape, t.dtype as DType) : tf.broadcastTo(t, shape);
}
