/**
 * The binding's `raven.tensorFromCopy` (packages/nx-native/binding/raven_copy.cc), which
 * `nx.fromArray(data, {copy: true})` uses on the native backend: what it refuses, and that its
 * tensor is a copy (the array changed afterwards, the tensor not). Native backend only; the
 * behaviour of `fromArray` itself is checked on every backend in ops/creation.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as nx from '@raven/nx';
import { describe, expect, it } from 'vitest';

const native = nx.backendInfo().backend === 'tensorflow';

interface Info { id: number; shape: number[]; dtype: number }
interface Backend {
  binding: { TF_FLOAT: number; TF_INT32: number; TF_BOOL: number; raven?: { tensorFromCopy?(shape: unknown, dtype: unknown, values: unknown): Info } };
  createOutputTensor(info: Info): tf.Tensor;
}

describe('binding.raven.tensorFromCopy', () => {
  it.skipIf(!native)('copies a typed array into a new tensor and refuses mismatched shapes, dtypes and arguments', () => {
    const backend = tf.backend() as unknown as Backend;
    const { binding } = backend;
    const copy = binding.raven!.tensorFromCopy!.bind(binding.raven);
    const values = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const info = copy([2, 3], binding.TF_FLOAT, values);
    expect(info.shape).toEqual([2, 3]);
    const t = backend.createOutputTensor(info);
    values.fill(0);
    expect(t.arraySync()).toEqual([[1, 2, 3], [4, 5, 6]]);
    t.dispose();
    expect(() => copy([4], binding.TF_FLOAT, values)).toThrow(/tensorFromCopy: the shape holds 4 elements but values has 6/);
    expect(() => copy([6], binding.TF_INT32, values)).toThrow(/element type does not match dtype/);
    expect(() => copy([6], 7, values)).toThrow(/dtype must be TF_FLOAT, TF_INT32 or TF_BOOL/);
    expect(() => copy([6], binding.TF_FLOAT, [1, 2, 3, 4, 5, 6])).toThrow(/values must be a typed array/);
    expect(() => copy([-1], binding.TF_FLOAT, values)).toThrow(/non-negative integers/);
    expect(() => copy(6, binding.TF_FLOAT, values)).toThrow(/shape must be an array/);
  });
});
