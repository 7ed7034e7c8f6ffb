/**
 * Times TF.js's own wasm kernels against nx's replacements (`src/backend/wasm-kernels.ts`) in one
 * process: each case runs first on the stock kernels, then again after `registerWasmKernels()`.
 * Best of 20 runs per case. Run with `npx tsx bench/wasm-before-after.ts` in packages/nx.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // gradients
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../src/backend/wasm-kernels.js';

tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
tf.env().set('PROD', true);
await tf.setBackend('wasm');

/** Best milliseconds of one call over `reps` calls (after one warm-up call). */
function best(f: () => unknown, reps = 20): number {
  tf.tidy(() => { f(); });
  let ms = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    tf.tidy(() => { f(); });
    ms = Math.min(ms, performance.now() - t);
  }
  return ms;
}

const x = tf.randomNormal([128, 784]);
const dz = tf.randomNormal([128, 128]);
const w1 = tf.randomNormal([784, 128], 0, 0.05);
const b1 = tf.zeros([128]);
const w2 = tf.randomNormal([128, 10], 0, 0.1);
const b2 = tf.zeros([10]);
const labels = tf.oneHot(tf.tensor1d(Array.from({ length: 128 }, (_, i) => i % 10), 'int32'), 10);
const mlpStep = () => tf.grads((w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor) => {
  const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
  const logits = tf.add(tf.matMul(h, w2), b2);
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1)));
})([w1, b1, w2, b2]);
const q = tf.randomNormal([48, 128, 64]);
const k = tf.randomNormal([48, 128, 64]);
const xc = tf.randomNormal([64, 14, 14, 32]) as tf.Tensor4D;
const wc = tf.randomNormal([3, 3, 32, 64]) as tf.Tensor4D;
const yc = tf.conv2d(xc, wc, 1, 'same');

const cases: Record<string, () => unknown> = {
  'x^T dz, [128,784]^T [128,128]': () => tf.matMul(x, dz, true, false),
  'dz w1^T, [128,128] [784,128]^T': () => tf.matMul(dz, w1, false, true),
  'x w1, [128,784] [784,128] (untransposed)': () => tf.matMul(x, w1),
  'MLP 784-128-10 batch 128, forward + gradients': mlpStep,
  'attention scores q k^T, [48,128,64] x [48,128,64]^T': () => tf.matMul(q, k, false, true),
  'conv2d input gradient, 3x3 32->64, 14x14, batch 64': () => tf.engine().runKernel('Conv2DBackpropInput', { dy: yc, filter: wc }, { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: xc.shape }),
};
const trainOnly: Record<string, () => unknown> = {
  'conv2d filter gradient, 3x3 32->64, 14x14, batch 64': () => tf.engine().runKernel('Conv2DBackpropFilter', { x: xc, dy: yc }, { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: wc.shape }),
  'conv2d training step (forward + both gradients)': () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')))([xc, wc]),
};

const before = Object.fromEntries(Object.entries(cases).map(([name, f]) => [name, best(f)]));
registerWasmKernels();
for (const [name, f] of Object.entries(cases)) {
  const after = best(f);
  console.log(`${name}: ${before[name]!.toFixed(2)} ms -> ${after.toFixed(2)} ms (x${(before[name]! / after).toFixed(1)})`);
}
for (const [name, f] of Object.entries(trainOnly)) console.log(`${name}: missing on stock wasm -> ${best(f, 8).toFixed(2)} ms`);
