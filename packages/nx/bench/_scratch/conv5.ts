import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../src/backend/wasm-kernels.js';
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
await tf.setBackend('wasm');
registerWasmKernels();
const time = (f: () => unknown, reps = 5) => { tf.tidy(() => { f(); }); let best = Infinity; for (let i = 0; i < reps; i++) { const t = performance.now(); tf.tidy(() => { f(); }); best = Math.min(best, performance.now() - t); } return best; };
for (const [N, H, Cin, Cout, s] of [[64, 28, 1, 32, 1], [64, 14, 32, 64, 1], [64, 28, 32, 32, 2], [32, 8, 64, 128, 1]]) {
  const x = tf.randomNormal([N, H, H, Cin]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, Cin, Cout]) as tf.Tensor4D;
  const y = tf.conv2d(x, w, s, 'same');
  const f = () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: y }, { strides: s, pad: 'same', dataFormat: 'NHWC', filterShape: w.shape });
  const res: string[] = [];
  for (let rep = 0; rep < 2; rep++) {
    (globalThis as any).__IM2COL_MAX = 1 << 30; res.push('im2col ' + time(f).toFixed(1));
    (globalThis as any).__IM2COL_MAX = 0; res.push('conv ' + time(f).toFixed(1));
  }
  console.log(N, H, Cin, Cout, s, 'fwd', time(() => tf.conv2d(x, w, s, 'same')).toFixed(1), res.join(' '));
}
