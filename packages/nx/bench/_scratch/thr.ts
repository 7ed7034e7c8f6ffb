import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../src/backend/wasm-kernels.js';
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
await tf.setBackend('wasm');
const time = (f: () => unknown, reps = 15) => { tf.tidy(() => { f(); }); let best = Infinity; for (let i = 0; i < reps; i++) { const t = performance.now(); tf.tidy(() => { f(); }); best = Math.min(best, performance.now() - t); } return best; };
const sizes = [8, 12, 16, 24, 32, 64];
const res: Record<number, number[]> = {};
for (const pass of [0, 1]) {
  if (pass) registerWasmKernels();
  for (const s of sizes) {
    const a = tf.randomNormal([64, s, s]); const b = tf.randomNormal([64, s, s]);
    (res[s] ??= []).push(time(() => tf.matMul(a, b, false, true)));
  }
}
for (const s of sizes) console.log(s, s ** 3, 'orig', res[s]![0]!.toFixed(3), 'mine', res[s]![1]!.toFixed(3));
