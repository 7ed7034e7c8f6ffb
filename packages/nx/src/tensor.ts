/**
 * The tensor type of `@raven/nx` and its element types.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * An n-dimensional array. It is a TensorFlow.js tensor, so nx tensors and TF.js code mix freely;
 * nx functions take and return it. Free it with {@link dispose} or create it inside {@link scope}.
 */
export type Tensor = tf.Tensor;

/** A dtype TF.js computes in: `float32`, `int32` or `bool`. Storage dtypes are in `nx.dtypes`. */
export type DType = 'float32' | 'int32' | 'bool';

/** A shape: one non-negative length per axis; `[]` is a scalar. */
export type Shape = number[];

/** Whether `x` is a tensor. */
export function isTensor(x: unknown): x is Tensor {
  return x instanceof tf.Tensor;
}

/** Nested JavaScript arrays of numbers or booleans, as `toArray` returns and `fromArray` takes. */
export type NestedArray = number | boolean | NestedArray[];

/** A typed array nx can read from or write to. */
export type TypedArray = Float32Array | Int32Array | Uint8Array;
