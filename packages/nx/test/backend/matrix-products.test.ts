/**
 * Matrix products on the `tensorflow` backend: two float32 matrices run TensorFlow's `MatMul`
 * (nx's kernel, with a binding that blocks signals around them), anything else tfjs-node's
 * `BatchMatMulV2`. Checked against products computed
 * on the host in float64, on every backend (the CI's native leg runs this file on tensorflow);
 * which TensorFlow op ran is checked on tensorflow only.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as nx from '@raven/nx';
import { describe, expect, it } from 'vitest';
import { nativeBinding } from '../../src/backend/native.js';
import { signalsGuarded } from '../../src/backend/tensorflow-kernels.js';
import { opsRun } from '../_native.js';

const native = nx.backendInfo().backend === 'tensorflow';

/** Row-major [rows, cols] values from a seeded generator. */
function matrix(seed: number, rows: number, cols: number): number[][] {
  let s = seed;
  const next = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  return Array.from({ length: rows }, () => Array.from({ length: cols }, next));
}

const transpose = (m: number[][]): number[][] => m[0]!.map((_, j) => m.map((row) => row[j]!));

/** The product on the host, in float64. */
function hostProduct(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
}

function maxAbsDiff(t: tf.Tensor, want: number[][]): number {
  const got = t.arraySync() as number[][];
  let d = 0;
  want.forEach((row, i) => row.forEach((v, j) => { d = Math.max(d, Math.abs(got[i]![j]! - v)); }));
  return d;
}

describe(`matrix products on ${nx.backendInfo().backend}`, () => {
  // [rows of op(a), inner, cols of op(b), transposeA, transposeB]
  const cases: Array<[number, number, number, boolean, boolean]> = [
    [7, 5, 3, false, false],
    [7, 5, 3, true, false],
    [7, 5, 3, false, true],
    [7, 5, 3, true, true],
    [128, 10, 16, false, false], // an MLP's small backward product, dz W
    [1, 33, 1, false, true],
  ];
  for (const [m, k, n, ta, tb] of cases) {
    it(`[${m}x${k}]${ta ? ' (a transposed)' : ''} x [${k}x${n}]${tb ? ' (b transposed)' : ''} equals the float64 product`, () => {
      const a = matrix(m * 31 + k, m, k);
      const b = matrix(k * 17 + n, k, n);
      const want = hostProduct(a, b);
      const ta_ = tf.tensor2d(ta ? transpose(a) : a);
      const tb_ = tf.tensor2d(tb ? transpose(b) : b);
      const got = tf.matMul(ta_, tb_, ta, tb);
      expect(got.shape).toEqual([m, n]);
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
      tf.dispose([ta_, tb_, got]);
    });
  }

  it('batched and broadcast products are unchanged', () => {
    const a = [matrix(1, 3, 4), matrix(2, 3, 4)];
    const b = matrix(3, 4, 2);
    const got = tf.matMul(tf.tensor3d(a), tf.tensor2d(b));
    expect(got.shape).toEqual([2, 3, 2]);
    const values = got.arraySync() as number[][][];
    a.forEach((ai, i) => hostProduct(ai, b).forEach((row, r) => row.forEach((v, c) => expect(values[i]![r]![c]!).toBeCloseTo(v, 5))));
    got.dispose();
  });

  it('int32 products and gradients through nx.matmul', () => {
    const p = tf.matMul(tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32'), tf.tensor2d([[5], [6]], undefined, 'int32'));
    expect(p.dtype).toBe('int32');
    expect(p.arraySync()).toEqual([[17], [39]]);
    p.dispose();
    // d/dw sum(x w) = x^T 1: column sums of x
    const x = nx.fromArray([[1, 2, 3], [4, 5, 6]]);
    const { grads } = nx.valueAndGrad((w: nx.Tensor) => nx.sum(nx.matmul(x, w)))(nx.ones([3, 2]));
    expect(nx.toArray(grads[0]!)).toEqual([[5, 5], [7, 7], [9, 9]]);
    nx.dispose([x, grads[0]!]);
  });

  it('MatMul needs a binding that blocks signals around TensorFlow\'s kernels', () => {
    // raven-nx-native's binding says so; an older one, or tfjs-node's own, does not
    expect(signalsGuarded({ TF_Version: '2.21.0', isUsingGpuDevice: () => false, raven: { signalsGuarded: () => true } as never })).toBe(true);
    expect(signalsGuarded({ TF_Version: '2.21.0', isUsingGpuDevice: () => false, raven: { hookVersion: 1 } as never })).toBe(false);
    expect(signalsGuarded({ TF_Version: '2.9.1', isUsingGpuDevice: () => false })).toBe(false);
    expect(signalsGuarded(undefined)).toBe(false);
    // the native leg builds the binding with the guard (so the test below sees MatMul)
    if (native) expect(signalsGuarded(nativeBinding())).toBe(true);
  });

  it.skipIf(!native)('on tensorflow, two float32 matrices run MatMul and a batch BatchMatMulV2', () => {
    const a = tf.ones([4, 3]);
    const b = tf.ones([3, 2]);
    const a3 = tf.ones([2, 4, 3]);
    const kept: tf.Tensor[] = [];
    expect(opsRun(() => { kept.push(tf.matMul(a, b), tf.matMul(a, b, false, false)); })).toEqual(['MatMul', 'MatMul']);
    expect(opsRun(() => { kept.push(tf.matMul(a3, b)); })).toContain('BatchMatMulV2');
    expect(opsRun(() => { kept.push(tf.matMul(tf.cast(a, 'int32'), tf.cast(b, 'int32'))); })).toContain('BatchMatMulV2');
    tf.dispose([a, b, a3, ...kept]);
  });
});
