/**
 * Convolution gradients on wasm (Conv2DBackpropFilter, which TF.js's wasm backend lacks, and the
 * XNNPACK Conv2DBackpropInput), checked against the cpu backend and a direct sum.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as nx from '@raven/nx';
import { describe, expect, it } from 'vitest';
import { setIm2colLimit } from '../../src/backend/kernels/conv.js';
import { expectClose, expectNoLeak, expectWasmMatchesCpu, randn, seeded } from './_compare.js';

type Pad = 'same' | 'valid' | number;
interface Case { n: number; h: number; w: number; cin: number; cout: number; k: [number, number]; stride: [number, number]; pad: Pad }

const cases: Case[] = [
  { n: 2, h: 5, w: 5, cin: 3, cout: 4, k: [3, 3], stride: [1, 1], pad: 'same' },
  { n: 2, h: 6, w: 7, cin: 2, cout: 3, k: [3, 3], stride: [2, 2], pad: 'same' },
  { n: 1, h: 7, w: 6, cin: 3, cout: 2, k: [3, 2], stride: [2, 1], pad: 'valid' },
  { n: 2, h: 6, w: 6, cin: 1, cout: 5, k: [3, 3], stride: [2, 2], pad: 'valid' }, // leftover input rows
  { n: 1, h: 5, w: 5, cin: 2, cout: 2, k: [3, 3], stride: [1, 1], pad: 1 },
  { n: 3, h: 4, w: 4, cin: 4, cout: 3, k: [1, 1], stride: [1, 1], pad: 'valid' },
];
const label = (c: Case) => `x [${c.n},${c.h},${c.w},${c.cin}], k ${c.k}, stride ${c.stride}, pad ${c.pad}`;

function convGrads(c: Case) {
  return () => {
    const rand = seeded(11);
    const x = randn(rand, [c.n, c.h, c.w, c.cin]) as tf.Tensor4D;
    const w = randn(rand, [...c.k, c.cin, c.cout]) as tf.Tensor4D;
    const y = tf.conv2d(x, w, c.stride, c.pad);
    const dy = randn(rand, y.shape);
    return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), dy)))([x, w]);
  };
}

/** dW[i,j,c,o] = sum over n,y,x of xpad[n, y*s + i*d - top, x*s + j*d - left, c] * dy[n,y,x,o], written out. */
function filterGradReference(x: tf.Tensor4D, dy: tf.Tensor4D, k: [number, number], s: [number, number], d: [number, number], top: number, left: number): number[] {
  const [n, h, w, cin] = x.shape;
  const [, ho, wo, cout] = dy.shape;
  const xv = x.dataSync();
  const dv = dy.dataSync();
  const out = new Array<number>(k[0] * k[1] * cin * cout).fill(0);
  for (let i = 0; i < k[0]; i++) for (let j = 0; j < k[1]; j++) for (let c = 0; c < cin; c++) for (let o = 0; o < cout; o++) {
    let acc = 0;
    for (let b = 0; b < n; b++) for (let y = 0; y < ho; y++) for (let xo = 0; xo < wo; xo++) {
      const r = y * s[0] + i * d[0] - top;
      const q = xo * s[1] + j * d[1] - left;
      if (r < 0 || r >= h || q < 0 || q >= w) continue;
      acc += xv[((b * h + r) * w + q) * cin + c]! * dv[((b * ho + y) * wo + xo) * cout + o]!;
    }
    out[((i * k[1] + j) * cin + c) * cout + o] = acc;
  }
  return out;
}

describe('wasm Conv2DBackpropFilter and Conv2DBackpropInput', () => {
  it('are registered for wasm', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).toBeDefined();
  });

  for (const c of cases) {
    it(`conv2d gradients (input and filter) match cpu: ${label(c)}`, async () => {
      await expectWasmMatchesCpu(convGrads(c), 1e-4);
    });
  }

  it('the convolution path of the filter gradient (no im2col) matches cpu', async () => {
    const previous = setIm2colLimit(0);
    try {
      for (const c of cases) await expectWasmMatchesCpu(convGrads(c), 1e-4);
    } finally {
      setIm2colLimit(previous);
    }
  });

  it('the filter gradient with dilation matches a direct sum, on both paths', () => {
    const rand = seeded(5);
    const x = randn(rand, [2, 9, 8, 2]) as tf.Tensor4D;
    const dilations: [number, number] = [2, 3];
    const stride: [number, number] = [1, 1];
    for (const pad of ['valid', 'same'] as const) {
      const info = tf.backend_util.computeConv2DInfo(x.shape, [3, 3, 2, 3], stride, dilations, pad);
      const dy = randn(rand, [2, info.outHeight, info.outWidth, 3]) as tf.Tensor4D;
      const expected = filterGradReference(x, dy, [3, 3], stride, dilations, info.padInfo.top, info.padInfo.left);
      for (const limit of [1 << 24, 0]) {
        const previous = setIm2colLimit(limit);
        const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: stride, dilations, pad, dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] }) as tf.Tensor;
        setIm2colLimit(previous);
        expect(dw.shape).toEqual([3, 3, 2, 3]);
        expectClose([{ shape: dw.shape, dtype: 'float32', values: Array.from(dw.dataSync()) }], [{ shape: [3, 3, 2, 3], dtype: 'float32', values: expected }], 1e-4);
        dw.dispose();
      }
      dy.dispose();
    }
    x.dispose();
  });

  it('NCHW data format matches cpu', async () => {
    await expectWasmMatchesCpu(() => {
      const rand = seeded(3);
      const x = randn(rand, [2, 3, 6, 5]);
      const dy = randn(rand, [2, 4, 3, 3]);
      const w = randn(rand, [3, 3, 3, 4]);
      return [
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] }) as tf.Tensor,
        tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: [2, 3, 6, 5] }) as tf.Tensor,
      ];
    });
  });

  it('conv2dTranspose (which runs Conv2DBackpropInput) matches cpu', async () => {
    await expectWasmMatchesCpu(() => {
      const rand = seeded(9);
      const x = randn(rand, [2, 3, 4, 5]) as tf.Tensor4D;
      const w = randn(rand, [3, 3, 2, 5]) as tf.Tensor4D;
      return [tf.conv2dTranspose(x, w, [2, 6, 8, 2], 2, 'same'), tf.conv2dTranspose(x, w, [2, 7, 9, 2], 2, 'valid')];
    });
  });

  it('nx.conv2d trains on wasm: its gradients match cpu (NCHW, stride, padding, bias)', async () => {
    await expectWasmMatchesCpu(() => {
      const rand = seeded(21);
      const x = randn(rand, [2, 3, 8, 8]);
      const w = randn(rand, [4, 3, 3, 3]);
      const b = randn(rand, [1, 4, 1, 1]);
      return nx.grad((x, w, b) => nx.sum(nx.square(nx.add(nx.conv2d(x!, w!, { stride: 2, padding: 'same' }), b!))))(x, w, b);
    }, 1e-4);
  });

  it('does not leak tensors or buffers', () => {
    const rand = seeded(2);
    const x = randn(rand, [2, 6, 6, 3]) as tf.Tensor4D;
    const w = randn(rand, [3, 3, 3, 4]) as tf.Tensor4D;
    const step = () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')))([x, w]);
    expectNoLeak(step);
    const previous = setIm2colLimit(0);
    expectNoLeak(step);
    setIm2colLimit(previous);
    tf.dispose([x, w]);
  });
});
