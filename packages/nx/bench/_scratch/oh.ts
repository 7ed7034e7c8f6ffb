import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
for (const b of ['cpu', 'wasm']) {
  await tf.setBackend(b);
  const i = tf.tensor1d([0, 2, -1, 3], 'int32');
  for (const dt of ['int32', 'float32', 'bool'] as const) {
    const o = tf.oneHot(i, 3, 5, -1, dt);
    console.log(b, dt, o.dtype, Array.from(o.dataSync()).join(','));
  }
  const o2 = tf.oneHot(tf.tensor1d([0, 2, 1], 'int32'), 3, 1, 0, 'bool');
  console.log(b, 'bool01', Array.from(o2.dataSync()).join(','));
  const s = tf.stridedSlice(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32'), [0, 0], [2, 3], [1, 2]);
  console.log(b, 'strided int', s.dtype, Array.from(s.dataSync()).join(','));
  const s2 = tf.stridedSlice(tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]), [0, 1, 0], [2, 2, 2], [1, 1, 2], 0, 0, 0, 0, 2);
  console.log(b, 'strided shrink', s2.shape, Array.from(s2.dataSync()).join(','));
}
