import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
const H = 5, W = 5, C = 3, N = 1;
const xv = Array.from({length: N*H*W*C}, (_, i) => Math.sin(i * 1.7));
const Ho = 2, Wo = 2;
const dyv = Array.from({length: N*Ho*Wo*C}, (_, i) => i + 1);
// JS reference
const ref = new Array(xv.length).fill(0);
for (let n = 0; n < N; n++) for (let oy = 0; oy < Ho; oy++) for (let ox = 0; ox < Wo; ox++) for (let c = 0; c < C; c++) {
  let best = -Infinity, bi = -1;
  for (let ky = 0; ky < 2; ky++) for (let kx = 0; kx < 2; kx++) { const i = ((n*H + oy*2+ky)*W + ox*2+kx)*C + c; if (xv[i]! > best) { best = xv[i]!; bi = i; } }
  ref[bi] += dyv[((n*Ho+oy)*Wo+ox)*C+c]!;
}
console.log('ref ', ref.join(','));
for (const b of ['cpu', 'wasm']) {
  await tf.setBackend(b);
  const x = tf.tensor4d(xv, [N, H, W, C]);
  const dy = tf.tensor4d(dyv, [N, Ho, Wo, C]);
  const y = tf.maxPool(x, 2, 2, 'valid');
  const dx = tf.engine().runKernel('MaxPoolGrad', { dy, input: x, output: y }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor;
  console.log(b, Array.from(dx.dataSync()).join(','));
}
