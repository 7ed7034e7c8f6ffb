import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
await tf.setBackend('wasm');
const time = (f: () => unknown, reps = 6) => { tf.tidy(() => { f(); }); let best = Infinity; for (let i = 0; i < reps; i++) { const t = performance.now(); tf.tidy(() => { f(); }); best = Math.min(best, performance.now() - t); } return best; };
for (const [N, H, Cin, Cout] of [[64, 28, 1, 32], [64, 14, 32, 64]]) {
  const P = tf.randomNormal([9 * Cin, N * H * H]); const D = tf.randomNormal([N * H * H, Cout]);
  const Dt = tf.randomNormal([Cout, N * H * H]); const Pt = tf.randomNormal([N * H * H, 9 * Cin]);
  console.log(N, H, Cin, Cout,
    'P.D fresh D', time(() => tf.matMul(P, tf.clone(D))).toFixed(1), 'clone', time(() => tf.clone(D)).toFixed(1),
    'Dt.Pt fresh Pt', time(() => tf.matMul(Dt, tf.clone(Pt))).toFixed(1), 'clone', time(() => tf.clone(Pt)).toFixed(1));
  const xT = tf.randomNormal([Cin, H + 2, H + 2, N]) as tf.Tensor4D;
  const dyT = tf.randomNormal([H, H, N, Cout]) as tf.Tensor4D;
  console.log('  conv fresh filter', time(() => tf.conv2d(xT, tf.clone(dyT), 1, 'valid')).toFixed(1));
}
