import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
import { registerWasmKernels } from '../../src/backend/wasm-kernels.js';
let seed = 1;
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5; };
const arr = (n: number) => Array.from({ length: n }, rnd);
const f = (shape: number[]) => tf.tensor(arr(shape.reduce((a, b) => a * b, 1)), shape);
const ints = (shape: number[], m: number) => tf.tensor(arr(shape.reduce((a, b) => a * b, 1)).map(v => Math.floor((v + 0.5) * m)), shape, 'int32');
const B = (shape: number[]) => tf.greater(f(shape), 0);
const cases: Record<string, () => tf.Tensor | tf.Tensor[]> = {
  gatherB: () => tf.gather(B([5, 3]), tf.tensor1d([0, 4, 2], 'int32')),
  gatherB1: () => tf.gather(B([5, 3]), tf.tensor1d([0, 2, 2], 'int32'), 1),
  padB: () => tf.pad(B([3, 3]), [[1, 2], [2, 1]]),
  sliceB: () => tf.slice(B([5, 6]), [1, 2], [3, 3]),
  stridedB: () => tf.stridedSlice(B([5, 6]), [4, 0], [0, 6], [-2, 2]),
  selectB: () => tf.where(B([7]), B([7]), B([7])),
  stackB: () => tf.stack([B([3, 2]), B([3, 2])], 1),
  mirrorPadB: () => tf.mirrorPad(B([3, 3]), [[1, 1], [2, 2]], 'symmetric'),
  gatherNdB: () => tf.gatherND(B([3, 4]), tf.tensor2d([[0, 1], [2, 3]], undefined, 'int32')),
  scatterNdB: () => tf.scatterND(tf.tensor2d([[0], [2]], undefined, 'int32'), B([2, 4]), [3, 4]),
  maxB: () => tf.max(B([3, 4]), 1),
  argMaxB: () => tf.argMax(B([3, 4]), 1),
  transposeB5: () => tf.transpose(B([2, 3, 2, 2, 3]), [4, 2, 0, 3, 1]),
  reverseB1: () => tf.reverse(B([7]), [0]),
  reverseB3: () => tf.reverse(B([2, 3, 4]), [1, 2]),
  reverseF3: () => tf.reverse(f([2, 3, 4]), [0, 2]),
  castB: () => [tf.cast(tf.tensor([0.5, -0.5, NaN, 256, -1e9, 3e9]), 'bool'), tf.cast(tf.tensor([1, 0, -3, 256], undefined, 'int32'), 'bool')],
  castI: () => tf.cast(tf.tensor([0.5, -0.5, 2.7, -2.7, 1e9, 3e9, -3e9]), 'int32'),
  tileB3: () => tf.tile(B([2, 1, 3]), [1, 3, 2]),
  concatB2: () => tf.concat([B([2, 3]), B([2, 1])], 1),
  splitB: () => tf.split(B([4, 6]), [2, 4], 1),
  broadcastB: () => tf.broadcastTo(B([3, 1, 2]), [2, 3, 4, 2]),
  expandB: () => tf.expandDims(B([3]), 1),
  whereI: () => tf.where(B([4]), tf.tensor([1, 2, 3, 4], undefined, 'int32'), tf.scalar(7, 'int32')),
  where2: () => tf.where(B([3, 1]), f([3, 4]), f([1, 4])),
  oneHotB: () => tf.oneHot(tf.tensor1d([0, 3], 'int32'), 4, 1, 0, 'bool'),
  cumsumRev: () => tf.cumsum(f([2, 5]), 1, true, false),
  cumsumExclRev0: () => tf.cumsum(f([4, 3]), 0, true, true),
  prodB: () => tf.prod(B([3, 4]), 1),
  sumB2: () => tf.sum(B([3, 4])),
  meanI: () => tf.mean(ints([3, 4], 9), 1),
  minI: () => tf.min(ints([3, 4], 9), 0),
  allB: () => tf.all(B([3, 4])),
  mod0: () => tf.mod(tf.tensor([5, -5], undefined, 'int32'), tf.tensor([0, 0], undefined, 'int32')),
  floorDiv0: () => tf.floorDiv(tf.tensor([5, -5], undefined, 'int32'), tf.tensor([0, 0], undefined, 'int32')),
  divI0: () => tf.div(tf.tensor([5, -5, 0], undefined, 'int32'), tf.tensor([0, 0, 0], undefined, 'int32')),
  maximumB: () => tf.maximum(tf.cast(B([4]), 'int32'), tf.cast(B([4]), 'int32')),
  absF: () => tf.abs(tf.tensor([-0, -Infinity, NaN])),
  clipI: () => tf.clipByValue(tf.tensor([-5, 0, 3, 9], undefined, 'int32'), -1, 4),
  stridedI: () => tf.stridedSlice(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32'), [0, 0], [2, 3], [1, 2]),
  stridedShrinkI: () => tf.stridedSlice(tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2], 'int32'), [0, 1, 0], [2, 2, 2], [1, 1, 2], 0, 0, 0, 0, 2),
  oneHotF: () => tf.oneHot(tf.tensor1d([0, 2, -1], 'int32'), 3, 5, -1, 'float32'),
  expandNeg: () => tf.sign(tf.tensor([-0.0, 0, -1e-40])),
};async function run(backend: string) {
  await tf.setBackend(backend); if (backend === 'wasm') registerWasmKernels();
  const out: Record<string, { vals?: number[][]; err?: string }> = {};
  for (const [k, fn] of Object.entries(cases)) { if (process.argv[2] && !process.argv.slice(2).includes(k)) continue;
    seed = 1;
    try {
      const r = tf.tidy(fn);
      const ts = Array.isArray(r) ? r : [r];
      out[k] = { vals: ts.map(t => Array.from(t.dataSync() as ArrayLike<number>).map(Number)) };
      out[k]!.vals!.push([ts.map(t => t.dtype).join(',') as unknown as number]);
      tf.dispose(ts);
    } catch (e) { out[k] = { err: String(e).slice(0, 150) }; }
  }
  return out;
}
const cpu = await run('cpu');
const wasm = await run('wasm');
for (const k of Object.keys(cases).filter(k => !process.argv[2] || process.argv.slice(2).includes(k))) {
  const c = cpu[k]!, w = wasm[k]!;
  if (w.err || c.err) { console.log(`${k}: cpu ${c.err ?? 'ok'} | wasm ${w.err ?? 'ok'}`); continue; }
  let maxd = 0; let shapeMismatch = false;
  c.vals!.forEach((cv, i) => { const wv = w.vals![i]!; if (cv.length !== wv.length) shapeMismatch = true; cv.forEach((x, j) => { const y = wv[j]!; if (typeof x === 'string' || typeof y === 'string') { if (x !== y) shapeMismatch = true; return; } if (Number.isNaN(x) !== Number.isNaN(y)) maxd = Infinity; else if (!Number.isNaN(x) && x !== y) maxd = Math.max(maxd, Math.abs(x - y) / Math.max(1, Math.abs(x))); }); });
  if (shapeMismatch || maxd > 1e-4) console.log(`${k}: MISMATCH maxd=${maxd} shape/dtype=${shapeMismatch}\n  cpu ${JSON.stringify(c.vals).slice(0, 300)}\n  wasm ${JSON.stringify(w.vals).slice(0, 300)}`);
}
console.log('done', Object.keys(cases).length);
