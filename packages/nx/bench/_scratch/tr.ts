import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
await tf.setBackend('wasm');
const be = tf.backend() as any;
const time = (f: () => unknown, reps = 7) => { tf.tidy(() => { f(); }); let best = Infinity; for (let i = 0; i < reps; i++) { const t = performance.now(); tf.tidy(() => { f(); }); best = Math.min(best, performance.now() - t); } return best; };
function hostT(x: tf.Tensor, r: number, c: number) {
  const out = be.makeOutput([c, r], 'float32');
  const s = be.typedArrayFromHeap(x) as Float32Array, d = be.typedArrayFromHeap(out) as Float32Array;
  const B = 32;
  for (let i0 = 0; i0 < r; i0 += B) { const i1 = Math.min(i0 + B, r);
    for (let j0 = 0; j0 < c; j0 += B) { const j1 = Math.min(j0 + B, c);
      for (let i = i0; i < i1; i++) { const si = i * c; for (let j = j0; j < j1; j++) d[j * r + i] = s[si + j]!; } } }
  return tf.engine().makeTensorFromTensorInfo(out);
}
for (const [r, c] of [[50176, 32], [128, 784], [784, 128], [12544, 64], [1024, 1024], [32, 50176]]) {
  const x = tf.randomNormal([r, c]);
  const a = tf.transpose(x), b = hostT(x, r, c);
  console.log(r, c, 'wasm', time(() => tf.transpose(x)).toFixed(2), 'host', time(() => hostT(x, r, c)).toFixed(2), 'eq', tf.all(tf.equal(a, b)).dataSync()[0]);
}
