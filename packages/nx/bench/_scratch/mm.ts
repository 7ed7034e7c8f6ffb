import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../src/backend/wasm-kernels.js';
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
await tf.setBackend('wasm');
const time = (f: () => unknown, reps = 20) => { tf.tidy(() => { f(); }); let best = Infinity; for (let i = 0; i < reps; i++) { const t = performance.now(); tf.tidy(() => { f(); }); best = Math.min(best, performance.now() - t); } return best; };
const h = tf.randomNormal([128, 128]); const d = tf.randomNormal([128, 10]);
const cases: Record<string, () => unknown> = {
  'h d [128,128][128,10]': () => tf.matMul(h, d),
  'h^T d': () => tf.matMul(h, d, true),
  'transpose h': () => tf.transpose(h),
  'add': () => tf.add(h, 1),
};
for (const pass of ['before', 'after']) {
  if (pass === 'after') registerWasmKernels();
  for (const [n, f] of Object.entries(cases)) console.log(pass, n, time(f).toFixed(3));
}
