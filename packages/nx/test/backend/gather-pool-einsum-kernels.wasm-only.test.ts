/**
 * UnsortedSegmentSum (the gradient of gather), MaxPoolGrad, AvgPoolGrad, Einsum and the
 * depthwise-convolution gradients on wasm, checked against the cpu backend and direct sums.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as nx from '@raven/nx';
import { describe, expect, it } from 'vitest';
import { expectNoLeak, expectWasmMatchesCpu, randn, seeded } from './_compare.js';

describe('wasm UnsortedSegmentSum', () => {
  it('is registered and matches cpu', async () => {
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
    await expectWasmMatchesCpu(() => {
      const rand = seeded(1);
      return tf.unsortedSegmentSum(randn(rand, [6, 3, 2]), tf.tensor1d([0, 3, 0, 1, 3, 3], 'int32'), 5);
    });
  });

  it('sums rows by id, drops ids outside [0, numSegments), takes segment ids of rank 2', () => {
    const x = tf.tensor3d([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]); // [2, 2, 2]
    const ids = tf.tensor2d([[1, -1], [1, 7]], undefined, 'int32'); // rows (0,0) and (1,0) go to 1; (0,1), (1,1) dropped
    const y = tf.engine().runKernel('UnsortedSegmentSum', { x, segmentIds: ids }, { numSegments: 3 }) as tf.Tensor;
    expect(y.shape).toEqual([3, 2]);
    expect(Array.from(y.dataSync())).toEqual([0, 0, 1 + 5, 2 + 6, 0, 0]);
    const yi = tf.unsortedSegmentSum(tf.tensor1d([4, 5, 6], 'int32'), tf.tensor1d([2, 0, 2], 'int32'), 3);
    expect(yi.dtype).toBe('int32');
    expect(Array.from(yi.dataSync())).toEqual([5, 0, 10]);
    tf.dispose([x, ids, y, yi]);
  });

  it('gives gather its gradient (embeddings train) like cpu, on any axis', async () => {
    await expectWasmMatchesCpu(() => {
      const rand = seeded(2);
      const table = randn(rand, [7, 4]);
      const ids = tf.tensor2d([[0, 6, 6], [2, 0, 1]], undefined, 'int32');
      const w = randn(rand, [2, 3, 4]);
      const ids1 = tf.tensor2d([[0, 3, 3], [2, 0, 1]], undefined, 'int32');
      const w1 = randn(rand, [7, 2, 3]);
      return tf.grads((t: tf.Tensor) => tf.add(tf.sum(tf.mul(tf.gather(t, ids), w)), tf.sum(tf.mul(tf.gather(t, ids1, 1), w1))))([table]);
    });
  });

  it('does not leak tensors or buffers', () => {
    const rand = seeded(3);
    const table = randn(rand, [7, 4]);
    const ids = tf.tensor1d([0, 6, 6, 2], 'int32');
    expectNoLeak(() => tf.grads((t: tf.Tensor) => tf.sum(tf.gather(t, ids)))([table]));
    tf.dispose([table, ids]);
  });
});

describe('wasm pooling gradients', () => {
  const configs: Array<[number, number, 'same' | 'valid']> = [[2, 2, 'valid'], [3, 2, 'same'], [3, 1, 'same'], [2, 1, 'valid'], [3, 3, 'valid']];
  for (const [k, s, pad] of configs) {
    it(`maxPool and avgPool gradients match cpu (window ${k}, stride ${s}, ${pad}), windows of negative values included`, async () => {
      await expectWasmMatchesCpu(() => {
        const rand = seeded(k * 10 + s);
        const x = tf.sub(randn(rand, [2, 7, 6, 3]), 0.6) as tf.Tensor4D; // many windows entirely < 0
        const dyMax = randn(rand, tf.maxPool(x, k, s, pad).shape);
        const dyAvg = randn(rand, tf.avgPool(x, k, s, pad).shape);
        const grads = tf.grads((a: tf.Tensor) => tf.add(tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, k, s, pad), dyMax)), tf.sum(tf.mul(tf.avgPool(a as tf.Tensor4D, k, s, pad), dyAvg))))([x]);
        return [tf.maxPool(x, k, s, pad), tf.avgPool(x, k, s, pad), ...grads];
      });
    });
  }

  it('maxPool sends each window gradient to its first maximum, written out', () => {
    // one channel, 2x2 windows, stride 2 over a 3x4 input (the last row is not covered)
    const x = tf.tensor4d([-5, -1, 2, 2, -3, -2, 0, 1, 9, 9, 9, 9], [1, 3, 4, 1]);
    const dy = tf.tensor4d([10, 20], [1, 1, 2, 1]);
    const y = tf.maxPool(x, 2, 2, 'valid');
    const dx = tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor;
    // window 1 {-5, -1, -3, -2}: max -1 at index 1; window 2 {2, 2, 0, 1}: first max at index 2
    expect(Array.from(dx.dataSync())).toEqual([0, 10, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    tf.dispose([x, dy, y, dx]);
  });

  it('avgPool with same padding spreads each window gradient over the pixels it averaged, written out', () => {
    // 3x3 input, 3x3 windows, stride 2, same padding: one window per corner-centred output
    const x = tf.zeros([1, 3, 3, 1]);
    const dy = tf.tensor4d([4, 6, 8, 12], [1, 2, 2, 1]);
    const dx = tf.engine().runKernel('AvgPoolGrad', { dy, input: x }, { filterSize: 3, strides: 2, pad: 'same' }) as tf.Tensor;
    // output (0,0) averages rows 0-1, cols 0-1 (4 pixels); (0,1) rows 0-1, cols 1-2; and so on
    const g = [4 / 4, 6 / 4, 8 / 4, 12 / 4];
    expect(Array.from(dx.dataSync())).toEqual([
      g[0], g[0] + g[1], g[1],
      g[0] + g[2], g[0] + g[1] + g[2] + g[3], g[1] + g[3],
      g[2], g[2] + g[3], g[3],
    ]);
    tf.dispose([x, dy, dx]);
  });

  it('nx pooling trains like cpu', async () => {
    await expectWasmMatchesCpu(() => {
      const rand = seeded(5);
      const x = randn(rand, [2, 3, 6, 6]);
      return nx.grad((x) => nx.add(nx.sum(nx.square(nx.maxPool2d(x!, { kernelSize: 2 }))), nx.sum(nx.square(nx.avgPool2d(x!, { kernelSize: 3, stride: 1, padding: 'same' })))))(x);
    });
  });

  it('does not leak tensors or buffers', () => {
    const x = randn(seeded(6), [2, 6, 6, 3]) as tf.Tensor4D;
    expectNoLeak(() => tf.grads((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 2, 'same')))([x]));
    x.dispose();
  });
});

describe('wasm Einsum', () => {
  // TF.js's einsum takes at most two operands and no repeated index within one operand
  const equations: Array<[string, number[][]]> = [
    ['ij,jk->ik', [[3, 4], [4, 5]]],
    ['bij,bjk->bik', [[2, 3, 4], [2, 4, 5]]],
    ['ij->ji', [[3, 4]]],
    ['ij->i', [[3, 4]]],
    ['ij->', [[3, 4]]],
    ['i,i->', [[5], [5]]],
    ['i,j->ij', [[3], [4]]],
    ['bhqd,bhkd->bhqk', [[2, 2, 3, 4], [2, 2, 5, 4]]],
    ['ijk,ik->ij', [[2, 3, 4], [2, 4]]],
  ];
  for (const [eq, shapes] of equations) {
    it(`${eq} matches cpu`, async () => {
      expect(tf.getKernel('Einsum', 'wasm')).toBeDefined();
      await expectWasmMatchesCpu(() => {
        const rand = seeded(eq.length);
        return tf.einsum(eq, ...shapes.map((s) => randn(rand, s)));
      });
    });
  }

  it('does not leak tensors or buffers', () => {
    const rand = seeded(7);
    const a = randn(rand, [2, 3, 4]);
    const b = randn(rand, [2, 4, 5]);
    expectNoLeak(() => [tf.einsum('bij,bjk->bik', a, b), tf.einsum('bij->bij', a), tf.einsum('bij->', a)]);
    tf.dispose([a, b]);
  });
});

describe('wasm depthwise convolution gradients (run by the cpu kernels)', () => {
  it('match cpu and do not leak', async () => {
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm')).toBeDefined();
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropInput', 'wasm')).toBeDefined();
    await expectWasmMatchesCpu(() => {
      const rand = seeded(9);
      const x = randn(rand, [2, 6, 5, 3]) as tf.Tensor4D;
      const w = randn(rand, [3, 3, 3, 2]) as tf.Tensor4D;
      return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))))([x, w]);
    });
    const rand = seeded(10);
    const x = randn(rand, [1, 4, 4, 2]) as tf.Tensor4D;
    const w = randn(rand, [3, 3, 2, 1]) as tf.Tensor4D;
    expectNoLeak(() => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')))([x, w]));
    tf.dispose([x, w]);
  });
});
