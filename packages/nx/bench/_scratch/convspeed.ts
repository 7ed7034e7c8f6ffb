import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
await tf.setBackend('wasm');
const time = (f: () => void, n = 5) => { f(); const t = performance.now(); for (let i = 0; i < n; i++) f(); return (performance.now() - t) / n; };
for (const [N, H, Cin, Cout, s] of [[64, 28, 1, 32, 1], [64, 14, 32, 64, 1], [64, 28, 32, 32, 2]] as const) {
  const x = tf.randomNormal([N, H, H, Cin]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, Cin, Cout]) as tf.Tensor4D;
  const y = tf.conv2d(x, w, s, 'same');
  const flops = 2 * y.size * 9 * Cin;
  const tf_ = time(() => tf.dispose(tf.conv2d(x, w, s, 'same')));
  const tb = time(() => tf.dispose(tf.engine().runKernel('Conv2DBackpropInput', { dy: y, filter: w }, { strides: s, pad: 'same', dataFormat: 'NHWC', inputShape: x.shape }) as tf.Tensor));
  console.log(`N${N} H${H} ${Cin}->${Cout} s${s}: fwd ${tf_.toFixed(2)}ms ${(flops / tf_ / 1e6).toFixed(1)} GF/s; bwdInput ${tb.toFixed(2)}ms ${(flops / tb / 1e6).toFixed(1)} GF/s`);
}
