import * as nx from '@raven/nx';
import { Data, Datasets, Layer, Loss, Optim, Train } from '@raven/kaun';
const { train } = await Datasets.mnist({ offline: true });
const N = Number(process.argv[2] ?? 20000);
const mk = (seed: number) => Data.fromArrays({ x: { data: train.images, shape: [train.count, 784], dtype: 'float32' }, y: { data: train.labels, shape: [train.count], dtype: 'int32' } })
  .take(N).shuffle(nx.random.key(seed)).batch(128).map(({ x, y }) => ({ x: nx.mul(x, 1 / 255), y }));
const mlp = () => Layer.sequential([Layer.linear({ inFeatures: 784, outFeatures: 128 }), Layer.relu(), Layer.linear({ inFeatures: 128, outFeatures: 10 })]);
async function fitOnce() {
  const model = mlp();
  const trainer = Train.make({ model, optimizer: Optim.adam(), loss: Loss.softmaxCrossEntropy });
  const r = await Train.fit(trainer, Train.makeState(trainer, model.init({ key: nx.random.key(0) })), mk(1), { progress: false });
  nx.dispose([r.state.vars.params, r.state.optState]);
}
async function stepLoop() {
  const model = mlp();
  const trainer = Train.make({ model, optimizer: Optim.adam(), loss: Loss.softmaxCrossEntropy });
  let state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
  for (const b of mk(1).iterate(0)) { const r = Train.step(trainer, state, b); state = r.state; nx.dispose([r.loss, b]); }
  nx.dispose([state.vars.params, state.optState]);
}
async function batchesOnly() { for (const b of mk(1).iterate(0)) nx.dispose(b); }
async function hand() {
  const key = nx.random.split(nx.random.key(0), 2);
  let params = [nx.random.uniform(key[0]!, [784, 128], { low: -0.036, high: 0.036 }), nx.zeros([128]), nx.random.uniform(key[1]!, [128, 10], { low: -0.09, high: 0.09 }), nx.zeros([10])];
  let m = params.map((p) => nx.zerosLike(p)); let v = params.map((p) => nx.zerosLike(p));
  let lossSum = nx.scalar(0); let t = 0;
  for (const { x, y } of mk(1).iterate(0)) {
    t++;
    const next = nx.scope(() => {
      const { value, grads } = nx.valueAndGrad((w1: nx.Tensor, c1: nx.Tensor, w2: nx.Tensor, c2: nx.Tensor) => Loss.softmaxCrossEntropy(nx.add(nx.matmul(nx.relu(nx.add(nx.matmul(x, w1), c1)), w2), c2), y))(...params);
      const c1 = 1 - 0.9 ** t, c2 = Math.sqrt(1 - 0.999 ** t);
      const m2 = m.map((mi, i) => nx.add(nx.mul(mi, 0.9), nx.mul(grads[i]!, 0.1)));
      const v2 = v.map((vi, i) => nx.add(nx.mul(vi, 0.999), nx.mul(nx.square(grads[i]!), 0.001)));
      const p2 = params.map((p, i) => nx.sub(p, nx.mul(nx.div(m2[i]!, nx.add(nx.div(nx.sqrt(v2[i]!), c2), 1e-8)), 1e-3 / c1)));
      return { p2, m2, v2, sum: nx.add(lossSum, nx.mul(value, 128)) };
    });
    nx.dispose([params, m, v, lossSum, x, y]);
    params = next.p2; m = next.m2; v = next.v2; lossSum = next.sum;
  }
  nx.item(lossSum);
  nx.dispose([params, m, v, lossSum]);
}
const fns: Record<string, () => Promise<void>> = { batchesOnly, hand, stepLoop, fitOnce };
const best: Record<string, number> = {};
const bestWall: Record<string, number> = {};
for (let rep = 0; rep < 3; rep++) for (const [k, f] of Object.entries(fns)) {
  const c0 = process.cpuUsage(); const t0 = performance.now();
  await f();
  const c = process.cpuUsage(c0);
  best[k] = Math.min(best[k] ?? Infinity, (c.user + c.system) / 1000);
  bestWall[k] = Math.min(bestWall[k] ?? Infinity, performance.now() - t0);
}
const steps = Math.ceil(N / 128);
for (const k of Object.keys(fns)) console.log(k.padEnd(12), 'cpu', (best[k]! / steps).toFixed(2), 'ms/step', 'wall', (bestWall[k]! / steps).toFixed(2), 'ms/step; per 60k epoch cpu', (best[k]! * 60000 / N / 1000).toFixed(2), 's');
