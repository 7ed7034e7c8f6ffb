import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '../../src/backend/wasm-kernels.js';
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
await tf.setBackend('wasm');
const time = (f: () => unknown, reps = 6) => { tf.tidy(() => { f(); }); let best = Infinity; for (let i = 0; i < reps; i++) { const t = performance.now(); tf.tidy(() => { f(); }); best = Math.min(best, performance.now() - t); } return best; };
const shapes = [[64, 28, 1, 32, 1], [64, 14, 32, 64, 1], [64, 28, 32, 32, 2]] as const;
for (const pass of ['before', 'after']) {
  if (pass === 'after') registerWasmKernels();
  for (const [N, H, Cin, Cout, s] of shapes) {
    const x = tf.randomNormal([N, H, H, Cin]) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, Cin, Cout]) as tf.Tensor4D;
    const y = tf.conv2d(x, w, s, 'same');
    const flops = 2 * y.size * 9 * Cin;
    const gf = (ms: number) => (flops / ms / 1e6).toFixed(1);
    const tfw = time(() => tf.conv2d(x, w, s, 'same'));
    const tbi = time(() => tf.engine().runKernel('Conv2DBackpropInput', { dy: y, filter: w }, { strides: s, pad: 'same', dataFormat: 'NHWC', inputShape: x.shape }));
    const tbf = pass === 'after' ? time(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: y }, { strides: s, pad: 'same', dataFormat: 'NHWC', filterShape: w.shape })) : NaN;
    console.log(`${pass} N${N} H${H} ${Cin}->${Cout} s${s}: fwd ${tfw.toFixed(1)}ms ${gf(tfw)} GF/s | bwdInput ${tbi.toFixed(1)}ms ${gf(tbi)} GF/s | bwdFilter ${tbf.toFixed(1)}ms ${gf(tbf)} GF/s`);
    tf.dispose([x, w, y]);
  }
}
