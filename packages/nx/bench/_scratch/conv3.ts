import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
await tf.setBackend('wasm');
const time = (f: () => unknown, reps = 6) => { tf.tidy(() => { f(); }); let best = Infinity; for (let i = 0; i < reps; i++) { const t = performance.now(); tf.tidy(() => { f(); }); best = Math.min(best, performance.now() - t); } return best; };
for (const [N, H, Cin, Cout] of [[64, 28, 1, 32], [64, 14, 32, 64]]) {
  const xT = tf.randomNormal([Cin, H + 2, H + 2, N]) as tf.Tensor4D;
  const dyT = tf.randomNormal([H, H, N, Cout]) as tf.Tensor4D;
  const x = tf.randomNormal([N, H, H, Cin]); const dy = tf.randomNormal([N, H, H, Cout]);
  console.log(N, H, Cin, Cout, 'inner conv', time(() => tf.conv2d(xT, dyT, 1, 'valid')).toFixed(1), 'tx', time(() => tf.transpose(x, [3, 1, 2, 0])).toFixed(1), 'tdy', time(() => tf.transpose(dy, [1, 2, 0, 3])).toFixed(1));
  // matmul form: patches [9*Cin, N*H*W] x dy [N*H*W, Cout]
  const P = tf.randomNormal([9 * Cin, N * H * H]); const D = tf.randomNormal([N * H * H, Cout]);
  console.log('  matmul form', time(() => tf.matMul(P, D)).toFixed(1), 'matmul form T', time(() => tf.matMul(tf.transpose(D), tf.transpose(P))).toFixed(1));
}
