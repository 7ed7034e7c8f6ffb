import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
let seed = 1;
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5; };
const arr = (n: number) => Array.from({ length: n }, rnd);
const f = (shape: number[]) => tf.tensor(arr(shape.reduce((a, b) => a * b, 1)), shape);
const ints = (shape: number[], m: number) => tf.tensor(arr(shape.reduce((a, b) => a * b, 1)).map(v => Math.floor((v + 0.5) * m)), shape, 'int32');
const cases: Record<string, () => tf.Tensor | tf.Tensor[]> = {
  conv2d: () => tf.conv2d(f([2, 5, 5, 3]) as tf.Tensor4D, f([3, 3, 3, 4]) as tf.Tensor4D, 1, 'same'),
  conv2dGrad: () => tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same')))([f([2, 5, 5, 3]), f([3, 3, 3, 4])]),
  maxPoolGrad: () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, 2, 2, 'valid'), f([2, 2, 2, 3]))))([f([2, 5, 5, 3])]),
  avgPoolGrad: () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(x as tf.Tensor4D, 2, 2, 'same'), f([2, 3, 3, 3]))))([f([2, 5, 5, 3])]),
  gatherGrad: () => tf.grads((p: tf.Tensor) => tf.sum(tf.mul(tf.gather(p, tf.tensor1d([0, 2, 2, 1], 'int32')), f([4, 3]))))([f([5, 3])]),
  gatherInt: () => tf.gather(ints([5, 3], 9), tf.tensor1d([0, 2, 2, 1], 'int32')),
  erfGrad: () => tf.grads((x: tf.Tensor) => tf.sum(tf.erf(x)))([f([10])]),
  softmaxGrad: () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.softmax(x), f([3, 4]))))([f([3, 4])]),
  logSoftmaxGrad: () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.logSoftmax(x), f([3, 4]))))([f([3, 4])]),
  cumsumF: () => tf.cumsum(f([3, 4]), 0, true, true),
  cumsumI: () => tf.cumsum(ints([3, 4], 9), 1),
  cumsumGrad: () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.cumsum(x, 1), f([3, 4]))))([f([3, 4])]),
  cumsumBool: () => tf.cumsum(tf.greater(f([6]), 0)),
  tileGrad: () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.tile(x, [2, 3]), f([4, 6]))))([f([2, 2])]),
  tileB: () => tf.tile(tf.greater(f([2, 2]), 0), [2, 1]),
  padGrad: () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.pad(x, [[1, 2], [0, 1]]), f([5, 3]))))([f([2, 2])]),
  padI: () => tf.pad(ints([2, 2], 5), [[1, 0], [0, 1]], 3),
  mirrorPadGrad: () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.mirrorPad(x, [[1, 1], [1, 1]], 'reflect'), f([5, 5]))))([f([3, 3])]),
  reverseGrad: () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.reverse(x, [1]), f([3, 4]))))([f([3, 4])]),
  reverseI: () => tf.reverse(ints([3, 4], 9), [0, 1]),
  reverseB: () => tf.reverse(tf.greater(f([3, 4]), 0), [0]),
  selectGrad: () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.where(tf.greater(a, b), a, b)))([f([3, 4]), f([3, 4])]),
  selectI: () => tf.where(tf.greater(f([4]), 0), ints([4], 9), ints([4], 9)),
  transposeB: () => tf.transpose(tf.greater(f([2, 3, 4]), 0), [2, 0, 1]),
  transposeI: () => tf.transpose(ints([2, 3, 4], 9), [1, 2, 0]),
  bmmTA: () => tf.matMul(f([5, 3]), f([5, 4]), true, false),
  bmmTB: () => tf.matMul(f([3, 5]), f([4, 5]), false, true),
  bmmBatch: () => tf.matMul(f([2, 3, 5]), f([2, 5, 4])),
  bmmBroadcast: () => tf.matMul(f([2, 3, 5]), f([1, 5, 4])),
  bmmInt: () => tf.matMul(ints([3, 5], 5), ints([5, 2], 5)),
  bmmGrad: () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a as tf.Tensor3D, b as tf.Tensor3D), f([2, 3, 4]))))([f([2, 3, 5]), f([2, 5, 4])]),
  isNan: () => tf.isNaN(tf.tensor([1, NaN, Infinity, -1])),
  signF: () => tf.sign(tf.tensor([1, -2, 0, NaN])),
  signI: () => tf.sign(tf.tensor([1, -2, 0], undefined, 'int32')),
  modF: () => tf.mod(f([8]), tf.tensor(0.3)),
  modNeg: () => tf.mod(tf.tensor([-5, 5, -5, 5]), tf.tensor([3, -3, -3, 3])),
  modI: () => tf.mod(tf.tensor([-5, 5, -5, 5], undefined, 'int32'), tf.tensor([3, -3, -3, 3], undefined, 'int32')),
  modGrad: () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mod(a, b)))([tf.tensor([5.5, -3.2]), tf.tensor([2, 2])]),
  floorDivF: () => tf.floorDiv(tf.tensor([-5, 5, -5, 5]), tf.tensor([3, -3, -3, 3])),
  floorDivI: () => tf.floorDiv(tf.tensor([-5, 5, -5, 5, 7], undefined, 'int32'), tf.tensor([3, -3, -3, 3, 2], undefined, 'int32')),
  oneHot: () => tf.oneHot(tf.tensor1d([0, 2, -1, 5], 'int32'), 4),
  maxGrad: () => tf.grads((x: tf.Tensor) => tf.sum(tf.max(x, 1)))([f([3, 4])]),
  minGrad: () => tf.grads((x: tf.Tensor) => tf.sum(tf.min(x, 0)))([f([3, 4])]),
  prodGrad: () => tf.grads((x: tf.Tensor) => tf.sum(tf.prod(x, 1)))([f([3, 4])]),
  prodI: () => tf.prod(ints([3, 4], 4), 1),
  sumI: () => tf.sum(ints([3, 4], 9), 0),
  sumB: () => tf.sum(tf.greater(f([3, 4]), 0), 0),
  meanGrad: () => tf.grads((x: tf.Tensor) => tf.sum(tf.mean(x, 1)))([f([3, 4])]),
  argmaxI: () => tf.argMax(ints([3, 4], 9), 1),
  maxI: () => tf.max(ints([3, 4], 9), 1),
  minB: () => tf.min(tf.cast(tf.greater(f([3, 4]), 0), 'int32'), 1),
  powGrad: () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.pow(a, b)))([tf.abs(f([4])), f([4])]),
  powI: () => tf.pow(tf.tensor([2, 3, -2], undefined, 'int32'), tf.tensor([3, 2, 3], undefined, 'int32')),
  atan2Grad: () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.atan2(a, b)))([f([4]), f([4])]),
  sqDiffGrad: () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.squaredDifference(a, b)))([f([4]), f([4])]),
  maximumGrad: () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.maximum(a, b)))([f([4]), f([4])]),
  minimumI: () => tf.minimum(ints([4], 9), ints([4], 9)),
  clipGrad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.clipByValue(a, -0.2, 0.2)))([f([6])]),
  reluGrad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.relu(a)))([f([6])]),
  reluI: () => tf.relu(ints([6], 9)),
  sigmoidGrad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.sigmoid(a)))([f([6])]),
  tanhGrad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.tanh(a)))([f([6])]),
  softplusGrad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.softplus(a)))([f([6])]),
  expm1Grad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.expm1(a)))([f([6])]),
  log1pGrad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.log1p(a)))([tf.abs(f([6]))]),
  rsqrtGrad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.rsqrt(a)))([tf.add(tf.abs(f([6])), 0.5)]),
  reciprocalGrad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.reciprocal(a)))([tf.add(tf.abs(f([6])), 0.5)]),
  trigGrad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.add(tf.add(tf.sin(a), tf.cos(a)), tf.tan(a))))([f([6])]),
  absGrad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.abs(a)))([f([6])]),
  absI: () => tf.abs(tf.tensor([-3, 2], undefined, 'int32')),
  negI: () => tf.neg(tf.tensor([-3, 2], undefined, 'int32')),
  squareI: () => tf.square(tf.tensor([-3, 2], undefined, 'int32')),
  floorCeilRound: () => [tf.floor(f([6])), tf.ceil(f([6])), tf.round(tf.tensor([0.5, 1.5, 2.5, -0.5, -1.5]))],
  roundGrad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.add(tf.round(a), tf.floor(a))))([f([6])]),
  signGrad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.sign(a)))([f([6])]),
  concatGrad: () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.concat([a, b], 1), f([3, 5]))))([f([3, 2]), f([3, 3])]),
  concatB: () => tf.concat([tf.greater(f([2]), 0), tf.greater(f([3]), 0)]),
  stackGrad: () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.stack([a, b], 1), f([3, 2, 2]))))([f([3, 2]), f([3, 2])]),
  splitGrad: () => tf.grads((a: tf.Tensor) => { const [p, q] = tf.split(a, [1, 3], 1); return tf.sum(tf.add(tf.sum(tf.mul(p!, 2)), tf.sum(tf.mul(q!, 3)))); })([f([3, 4])]),
  sliceGrad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.mul(tf.slice(a, [1, 1], [2, 2]), f([2, 2]))))([f([3, 4])]),
  stridedSlice: () => tf.stridedSlice(f([5, 6]), [4, 0], [0, 6], [-2, 2]),
  broadcastToGrad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.mul(tf.broadcastTo(a, [3, 4]), f([3, 4]))))([f([1, 4])]),
  broadcastToI: () => tf.broadcastTo(ints([1, 4], 9), [3, 4]),
  broadcastToB: () => tf.broadcastTo(tf.greater(f([1, 4]), 0), [3, 4]),
  castBool: () => [tf.cast(tf.tensor([0, 1.5, -2]), 'bool'), tf.cast(tf.tensor([0.7, -1.7]), 'int32')],
  logic: () => [tf.logicalXor(tf.greater(f([6]), 0), tf.greater(f([6]), 0)), tf.logicalNot(tf.greater(f([6]), 0))],
  compareI: () => [tf.less(ints([6], 5), ints([6], 5)), tf.equal(ints([6], 3), ints([6], 3))],
  compareB: () => tf.equal(tf.greater(f([6]), 0), tf.greater(f([6]), 0)),
  allAny: () => [tf.all(tf.greater(f([3, 4]), -0.3), 1), tf.any(tf.greater(f([3, 4]), 0.3), 0)],
  isFiniteInf: () => [tf.isFinite(tf.tensor([1, NaN, Infinity])), tf.isInf(tf.tensor([1, NaN, -Infinity]))],
  gatherAxis1Grad: () => tf.grads((p: tf.Tensor) => tf.sum(tf.mul(tf.gather(p, tf.tensor2d([[0, 2], [2, 1]], undefined, 'int32'), 1), f([3, 2, 2]))))([f([3, 4])]),
  gatherBatch: () => tf.gather(f([2, 3, 4]), tf.tensor2d([[0, 2], [1, 1]], undefined, 'int32'), 2, 1),
  gatherNd: () => tf.gatherND(f([3, 4]), tf.tensor2d([[0, 1], [2, 3]], undefined, 'int32')),
  scatterNd: () => tf.scatterND(tf.tensor2d([[0], [2], [0]], undefined, 'int32'), f([3, 4]), [3, 4]),
  fusedMatMul: () => tf.fused.matMul({ a: f([3, 5]), b: f([4, 5]), transposeB: true, bias: f([4]), activation: 'relu' }),
  fusedMatMulGrad: () => tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias: c, activation: 'relu' })))([f([3, 5]), f([5, 4]), f([4])]),
  einsum: () => tf.einsum('ij,jk->ik', f([2, 3]), f([3, 4])),
  unsortedSegmentSum: () => tf.unsortedSegmentSum(f([4, 3]), tf.tensor1d([0, 2, 0, 1], 'int32'), 3),
  linspace: () => tf.linspace(0, 1, 5),
  rangeI: () => tf.range(0, 10, 3, 'int32'),
  fillI: () => tf.fill([2, 2], 3, 'int32'),
  conv2dDil: () => tf.conv2d(f([1, 7, 7, 2]) as tf.Tensor4D, f([3, 3, 2, 2]) as tf.Tensor4D, 1, 'valid', 'NHWC', 2),
  conv2dGradValid: () => tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, [2, 1], 'valid'), f([2, 2, 4, 4]))))([f([2, 6, 6, 3]), f([3, 3, 3, 4])]),
  depthwiseGrad: () => tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same')))([f([1, 4, 4, 2]), f([3, 3, 2, 1])]),
  batchNormGrad: () => tf.grads((x: tf.Tensor, m: tf.Tensor) => tf.sum(tf.batchNorm(x, m, tf.ones([3]), undefined, undefined, 1e-3)))([f([4, 3]), f([3])]),
  leakyReluGrad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.leakyRelu(a, 0.1)))([f([6])]),
  eluGrad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.elu(a)))([f([6])]),
  addI: () => tf.add(ints([6], 9), ints([6], 9)),
  divI: () => tf.div(tf.tensor([7, -7, 6], undefined, 'int32'), tf.tensor([2, 2, 4], undefined, 'int32')),
  mulB: () => tf.mul(ints([3], 9), tf.tensor([1, 0, 1], undefined, 'int32')),
  logSumExpGrad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.logSumExp(a, 1)))([f([3, 4])]),
  argminGrad: () => tf.argMin(f([3, 4]), 0),
  maxPoolSameStride1: () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, 3, 1, 'same'), f([1, 4, 4, 2]))))([f([1, 4, 4, 2])]),
  multinomial: () => tf.zeros([1]),
  topk: () => tf.topk(f([3, 6]), 2).values,
  unique: () => tf.unique(tf.tensor1d([1, 3, 1, 2], 'int32')).values,
  whereAsync: () => tf.zeros([1]),
  square: () => tf.grads((a: tf.Tensor) => tf.sum(tf.square(a)))([f([6])]),
  sqrtGrad: () => tf.grads((a: tf.Tensor) => tf.sum(tf.sqrt(a)))([tf.add(tf.abs(f([6])), 0.1)]),
  divGrad: () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.div(a, b)))([f([4]), tf.add(tf.abs(f([4])), 0.5)]),
  subGradBroadcast: () => tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.sub(a, b), f([3, 4]))))([f([3, 4]), f([4])]),
  expandSqueeze: () => tf.squeeze(tf.expandDims(f([3]), 0)),
};
async function run(backend: string) {
  await tf.setBackend(backend);
  const out: Record<string, { vals?: number[][]; err?: string }> = {};
  for (const [k, fn] of Object.entries(cases)) {
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
for (const k of Object.keys(cases)) {
  const c = cpu[k]!, w = wasm[k]!;
  if (w.err || c.err) { console.log(`${k}: cpu ${c.err ?? 'ok'} | wasm ${w.err ?? 'ok'}`); continue; }
  let maxd = 0; let shapeMismatch = false;
  c.vals!.forEach((cv, i) => { const wv = w.vals![i]!; if (cv.length !== wv.length) shapeMismatch = true; cv.forEach((x, j) => { const y = wv[j]!; if (typeof x === 'string' || typeof y === 'string') { if (x !== y) shapeMismatch = true; return; } if (Number.isNaN(x) !== Number.isNaN(y)) maxd = Infinity; else if (!Number.isNaN(x) && x !== y) maxd = Math.max(maxd, Math.abs(x - y) / Math.max(1, Math.abs(x))); }); });
  if (shapeMismatch || maxd > 1e-4) console.log(`${k}: MISMATCH maxd=${maxd} shape/dtype=${shapeMismatch}\n  cpu ${JSON.stringify(c.vals).slice(0, 300)}\n  wasm ${JSON.stringify(w.vals).slice(0, 300)}`);
}
console.log('done', Object.keys(cases).length);
