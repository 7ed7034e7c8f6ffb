/**
 * BatchMatMul and _FusedMatMul on wasm: transposed, batched and broadcast products through
 * XNNPACK, int32 operands, fused bias and activations, gradients; checked against the cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as nx from '@raven/nx';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, expectWasmMatchesCpu, randn, seeded } from './_compare.js';

/** [a shape, b shape, transposeA, transposeB] */
type Case = [number[], number[], boolean, boolean];
const cases: Case[] = [
  [[5, 3], [5, 4], true, false],
  [[3, 5], [4, 5], false, true],
  [[5, 3], [4, 5], true, true],
  [[3, 5], [5, 4], false, false],
  [[128, 20], [128, 16], true, false], // the shape of an MLP weight gradient, x^T dz
  [[4, 3, 5], [4, 5, 6], false, false], // batch, small: TF.js's own loop
  [[2, 3, 20, 16], [2, 3, 16, 18], false, false],
  [[3, 40, 36], [3, 40, 32], true, false], // batch, one XNNPACK product per entry
  [[3, 36, 40], [3, 32, 40], false, true],
  [[3, 40, 36], [3, 32, 40], true, true],
  [[2, 2, 36, 40], [2, 2, 40, 32], false, false],
  [[4, 20, 24], [24, 16], false, false], // batch against one matrix
  [[4, 24, 20], [16, 24], true, true],
  [[20, 24], [4, 24, 16], false, false], // one matrix against a batch
  [[24, 20], [4, 16, 24], true, true],
  [[1, 20, 24], [3, 24, 16], false, false],
  [[1, 96], [400, 96], false, true], // few rows against a large transposed matrix: (B A^T)^T
  [[2, 3, 96], [400, 96], false, true],
  [[2, 1, 96], [1, 400, 96], false, true],
];

describe('wasm BatchMatMul', () => {
  for (const [sa, sb, ta, tb] of cases) {
    it(`matches cpu for [${sa}]${ta ? '^T' : ''} x [${sb}]${tb ? '^T' : ''}`, async () => {
      await expectWasmMatchesCpu(() => {
        const rand = seeded(sa.length * 7 + sb[0]!);
        return tf.matMul(randn(rand, sa), randn(rand, sb), ta, tb);
      }, 1e-4);
    });
  }

  it('multiplies int32 matrices (which TF.js wasm rejects) like cpu', async () => {
    const out = await expectWasmMatchesCpu(() => tf.matMul(tf.tensor2d([[1, -2, 3], [4, 5, -6]], undefined, 'int32'), tf.tensor2d([[7, 8], [9, -10], [11, 12]], undefined, 'int32'), false, false));
    // [[1*7 - 2*9 + 3*11, 1*8 + 2*10 + 3*12], [4*7 + 5*9 - 6*11, 4*8 - 5*10 - 6*12]]
    expect(out[0]!.values).toEqual([22, 64, 7, -90]);
  });

  it('empty products: zeros where nothing is summed (k = 0), empty where nothing is computed', async () => {
    const out = await expectWasmMatchesCpu(() => [
      tf.matMul(tf.ones([2, 0]), tf.ones([0, 3])),
      tf.matMul(tf.ones([0, 2]), tf.ones([0, 3]), true, false),
      tf.matMul(tf.ones([3, 4, 0]), tf.ones([3, 0, 5])),
      tf.matMul(tf.ones([0, 3]), tf.ones([3, 4])),
      tf.fused.matMul({ a: tf.ones([2, 0]), b: tf.ones([0, 3]), bias: tf.tensor1d([1, -2, 3]), activation: 'relu' }),
    ]);
    expect(out[0]!.values).toEqual([0, 0, 0, 0, 0, 0]);
    expect(out[2]!.values.every((v) => v === 0)).toBe(true);
    expect(out[3]!.shape).toEqual([0, 4]);
    expect(out[4]!.values).toEqual([1, 0, 3, 1, 0, 3]);
  });

  it('gradients of batched and transposed products match cpu', async () => {
    await expectWasmMatchesCpu(() => {
      const rand = seeded(4);
      const a = randn(rand, [3, 36, 40]);
      const b = randn(rand, [3, 40, 32]);
      const w = randn(rand, [3, 24, 32]);
      return tf.grads((a: tf.Tensor, b: tf.Tensor, w: tf.Tensor) => tf.sum(tf.square(tf.matMul(tf.matMul(a, b), w, false, true))))([a, b, w]);
    }, 1e-4);
  });

  it('nx.matmul with batch broadcasting trains like cpu', async () => {
    await expectWasmMatchesCpu(() => {
      const rand = seeded(8);
      const a = randn(rand, [2, 1, 12, 20]);
      const b = randn(rand, [3, 20, 10]);
      return nx.grad((a, b) => nx.sum(nx.square(nx.matmul(a!, b!))))(a, b);
    }, 1e-4);
  });

  it('does not leak tensors or buffers', () => {
    const rand = seeded(1);
    const a = randn(rand, [3, 40, 36]);
    const b = randn(rand, [3, 40, 32]);
    const c = randn(rand, [36, 32]);
    expectNoLeak(() => [tf.matMul(a, b, true, false), tf.matMul(a, c), tf.matMul(c, a, true, true), tf.matMul(tf.cast(c, 'int32'), tf.cast(c, 'int32'), true, false)]);
    expectNoLeak(() => tf.grads((x: tf.Tensor) => tf.sum(tf.matMul(x, b, true, false)))([a]));
    tf.dispose([a, b, c]);
  });
});

describe('wasm _FusedMatMul', () => {
  const activations = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const;
  for (const activation of activations) {
    it(`matches cpu with bias and ${activation}, transposed and batched`, async () => {
      await expectWasmMatchesCpu(() => {
        const rand = seeded(activations.indexOf(activation) + 30);
        const extra = (n: number) => (activation === 'prelu' ? { preluActivationWeights: randn(rand, [n]) } : {});
        return [
          tf.fused.matMul({ a: randn(rand, [6, 5]), b: randn(rand, [4, 5]), transposeB: true, bias: randn(rand, [4]), activation, leakyreluAlpha: 0.3, ...extra(4) }),
          tf.fused.matMul({ a: randn(rand, [5, 6]), b: randn(rand, [5, 4]), transposeA: true, bias: randn(rand, [4]), activation, leakyreluAlpha: 0.3, ...extra(4) }),
          tf.fused.matMul({ a: randn(rand, [3, 6, 5]), b: randn(rand, [3, 5, 4]), bias: randn(rand, [4]), activation, leakyreluAlpha: 0.3, ...extra(4) }),
          tf.fused.matMul({ a: randn(rand, [3, 6, 5]), b: randn(rand, [5, 4]), bias: randn(rand, [6, 4]), activation, leakyreluAlpha: 0.3, ...extra(4) }),
        ];
      }, 1e-4);
    });
  }

  it('gradients match cpu', async () => {
    await expectWasmMatchesCpu(() => {
      const rand = seeded(12);
      const x = randn(rand, [8, 6]);
      const w = randn(rand, [5, 6]);
      const b = randn(rand, [5]);
      return tf.grads((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, transposeB: true, bias: b, activation: 'relu' }))))([x, w, b]);
    }, 1e-4);
  });

  it('does not leak tensors or buffers', () => {
    const rand = seeded(1);
    const a = randn(rand, [3, 6, 5]);
    const b = randn(rand, [5, 4]);
    const bias = randn(rand, [4]);
    expectNoLeak(() => [tf.fused.matMul({ a, b, bias, activation: 'relu' }), tf.fused.matMul({ a: b, b: a, transposeA: true, transposeB: true, activation: 'elu' })]);
    tf.dispose([a, b, bias]);
  });
});
