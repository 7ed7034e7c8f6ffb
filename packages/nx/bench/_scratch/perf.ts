import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { registerWasmKernels } from '../../src/backend/wasm-kernels.js';
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
tf.env().set('PROD', true);
await tf.setBackend('wasm');
const time = (f: () => unknown, reps = 20) => { tf.tidy(() => { f(); }); let best = Infinity; for (let i = 0; i < reps; i++) { const t = performance.now(); tf.tidy(() => { f(); }); best = Math.min(best, performance.now() - t); } return best; };
const x = tf.randomNormal([128, 784]); const dz = tf.randomNormal([128, 128]);
const w1 = tf.randomNormal([784, 128], 0, 0.05); const b1 = tf.zeros([128]); const w2 = tf.randomNormal([128, 10], 0, 0.1); const b2 = tf.zeros([10]);
const labels = tf.oneHot(tf.tensor1d(Array.from({ length: 128 }, (_, i) => i % 10), 'int32'), 10);
const step = () => tf.grads((w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor) => {
  const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
  const logits = tf.add(tf.matMul(h, w2), b2);
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1)));
})([w1, b1, w2, b2]);
const q = tf.randomNormal([48, 128, 64]); const k = tf.randomNormal([48, 128, 64]);
const xc = tf.randomNormal([64, 14, 14, 32]) as tf.Tensor4D; const wc = tf.randomNormal([3, 3, 32, 64]) as tf.Tensor4D;
const convStep = () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')))([xc, wc]);
const cases: Record<string, () => unknown> = {
  'x^T dz [128,784]^T[128,128]': () => tf.matMul(x, dz, true, false),
  'x w [128,784][784,128]': () => tf.matMul(x, w1),
  'dz w^T [128,128][784,128]^T': () => tf.matMul(dz, w1, false, true),
  'MLP step 784-128-10 b128': step,
  'attention q k^T [48,128,64]': () => tf.matMul(q, k, false, true),
  'conv 3x3 32->64 14x14 b64 fwd': () => tf.conv2d(xc, wc, 1, 'same'),
  'conv backprop input 32->64 14x14 b64': () => tf.engine().runKernel('Conv2DBackpropInput', { dy: tf.conv2d(xc, wc, 1, 'same'), filter: wc }, { strides: 1, pad: 'same', dataFormat: 'NHWC', inputShape: xc.shape }) as tf.Tensor,
};
const before: Record<string, number> = {};
for (const [name, f] of Object.entries(cases)) before[name] = time(f);
registerWasmKernels();
cases['conv step (fwd+grads)'] = convStep;
for (const [name, f] of Object.entries(cases)) {
  const after = time(f);
  const b = before[name];
  console.log(`${name}: before ${b?.toFixed(2) ?? '-'} ms, after ${after.toFixed(2)} ms${b ? `, x${(b / after).toFixed(1)}` : ''}`);
}
