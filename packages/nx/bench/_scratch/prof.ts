import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { registerWasmKernels } from '../../src/backend/wasm-kernels.js';
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
await tf.setBackend('wasm');
registerWasmKernels();
const x = tf.randomNormal([128, 784]);
const w1 = tf.randomNormal([784, 128], 0, 0.05); const b1 = tf.zeros([128]); const w2 = tf.randomNormal([128, 10], 0, 0.1); const b2 = tf.zeros([10]);
const labels = tf.oneHot(tf.tensor1d(Array.from({ length: 128 }, (_, i) => i % 10), 'int32'), 10);
const step = () => tf.grads((w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor) => {
  const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
  const logits = tf.add(tf.matMul(h, w2), b2);
  return tf.neg(tf.mean(tf.sum(tf.mul(labels, tf.logSoftmax(logits)), -1)));
})([w1, b1, w2, b2]);
tf.dispose(step());
const times = new Map<string, number>();
const eng = tf.engine() as any;
const orig = eng.runKernel.bind(eng);
for (let rep = 0; rep < 3; rep++) {
  times.clear();
  eng.runKernel = (name: string, inputs: any, attrs: any) => { const t = performance.now(); const r = orig(name, inputs, attrs); const d = performance.now() - t; times.set(name + ' ' + JSON.stringify(Object.values(inputs).map((i: any) => i?.shape)) + JSON.stringify(attrs ?? {}).slice(0, 60), (times.get(name + ' ' + JSON.stringify(Object.values(inputs).map((i: any) => i?.shape)) + JSON.stringify(attrs ?? {}).slice(0, 60)) ?? 0) + d); return r; };
  const t = performance.now(); tf.dispose(step()); const tot = performance.now() - t;
  eng.runKernel = orig;
  console.log('total', tot.toFixed(2));
}
for (const [k, v] of [...times.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(v.toFixed(2), k);
