import * as tf from '@tensorflow/tfjs-core';
import * as nx from '@raven/nx';
import { Data, Datasets, Layer, Loss, Optim, Train } from '@raven/kaun';

const { train } = await Datasets.mnist({ offline: true });
const ds = Data.fromArrays({ x: { data: train.images, shape: [train.count, 784], dtype: 'float32' }, y: { data: train.labels, shape: [train.count], dtype: 'int32' } })
  .shuffle(nx.random.key(1)).batch(128).map(({ x, y }) => ({ x: nx.mul(x, 1 / 255), y }));
const model = Layer.sequential([Layer.linear({ inFeatures: 784, outFeatures: 128 }), Layer.relu(), Layer.linear({ inFeatures: 128, outFeatures: 10 })]);
const trainer = Train.make({ model, optimizer: Optim.adam({ lr: 1e-3 }), loss: Loss.softmaxCrossEntropy });
let state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
const it = ds.iterate(0)[Symbol.iterator]();
// warm up
for (let i = 0; i < 20; i++) { const b = it.next().value!; const r = Train.step(trainer, state, b); state = r.state; nx.dispose([b, r.loss]); }
const prof = await tf.profile(() => {
  for (let i = 0; i < 20; i++) { const b = it.next().value!; const r = Train.step(trainer, state, b); state = r.state; nx.dispose([b, r.loss]); }
});
const agg = new Map<string, { n: number; ms: number }>();
for (const k of prof.kernels) { const a = agg.get(k.name) ?? { n: 0, ms: 0 }; a.n++; a.ms += k.kernelTimeMs as number; agg.set(k.name, a); }
const rows = [...agg.entries()].sort((a, b) => b[1].ms - a[1].ms);
console.log('kernels per step', prof.kernels.length / 20);
for (const [name, a] of rows) console.log(name.padEnd(24), (a.n / 20).toFixed(1).padStart(6), (a.ms / 20).toFixed(3).padStart(8), 'ms/step');
// shapes of matmuls
for (const k of prof.kernels.slice(0, prof.kernels.length / 20)) if (k.name.includes('MatMul') || k.name === 'Transpose') console.log(k.name, JSON.stringify(k.inputShapes), (k.kernelTimeMs as number).toFixed(3), JSON.stringify((k as any).extraInfo ?? ''));
// timing without profiler
const t0 = performance.now();
const c0 = process.cpuUsage();
for (let i = 0; i < 100; i++) { const b = it.next().value!; const r = Train.step(trainer, state, b); state = r.state; nx.dispose([b, r.loss]); }
const c1 = process.cpuUsage(c0);
console.log('wall ms/step', ((performance.now() - t0) / 100).toFixed(2), 'cpu ms/step', ((c1.user + c1.system) / 1000 / 100).toFixed(2));
