/**
 * A tensor that holds its own copy of a typed array's values, so that the array may be changed or
 * reused as soon as the tensor exists (`nx.fromArray(data, {copy: true})`).
 *
 * `tf.tensor` keeps a typed array of its dtype by reference: the cpu backend reads it for the
 * tensor's whole life, and the native backend (tfjs-node) wraps the array's memory in its
 * TensorFlow tensor (`createTensor`: `TF_NewTensor` with a reference to the array, which
 * TensorFlow copies only when the address is not aligned as it wants). The wasm backend copies the
 * values into its module's memory at once. Here the native backend copies them into a new
 * TensorFlow tensor (`binding.raven.tensorFromCopy`, packages/nx-native/binding/raven_copy.cc;
 * with a binding built before it, a copy of the array), the wasm backend needs nothing more, and
 * any other backend gets a copy of the array.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { activeTrace } from '../jit/hooks.js';
import { type HandleInfo, nodeBackend } from '../jit/native.js';
import type { DType, Tensor, TypedArray } from '../tensor.js';

/** `binding.raven.tensorFromCopy` and the dtype numbers it takes. */
interface CopyBinding {
  TF_FLOAT: number;
  TF_INT32: number;
  TF_BOOL: number;
  raven?: { tensorFromCopy?(shape: number[], dtype: number, values: TypedArray): HandleInfo };
}

/** `tf.tensor(values, shape, dtype)` that keeps no reference to `values`. @internal */
export function ownedTensor(values: TypedArray, shape: number[], dtype: DType): Tensor {
  const backend = tf.getBackend();
  if (backend === 'wasm') return tf.tensor(values, shape, dtype);
  const native = backend === 'tensorflow' && activeTrace() === undefined ? nodeBackend() : undefined;
  const binding = native?.binding as unknown as CopyBinding | undefined;
  const code = binding === undefined ? undefined : dtype === 'float32' ? binding.TF_FLOAT : dtype === 'int32' ? binding.TF_INT32 : dtype === 'bool' ? binding.TF_BOOL : undefined;
  if (native === undefined || code === undefined || typeof binding?.raven?.tensorFromCopy !== 'function') return tf.tensor(values.slice(), shape, dtype);
  return native.createOutputTensor(binding.raven.tensorFromCopy(shape, code, values));
}
