import * as nx from '@raven/nx';
import { Data, Datasets, Layer, Loss, Optim, Ptree, Train } from '@raven/kaun';

const { train } = await Datasets.mnist({ offline: true });
const ds = Data.fromArrays({ x: { data: train.images, shape: [train.count, 784], dtype: 'float32' }, y: { data: train.labels, shape: [train.count], dtype: 'int32' } })
  .shuffle(nx.random.key(1)).batch(128).map(({ x, y }) => ({ x: nx.mul(x, 1 / 255), y }));
const model = Layer.sequential([Layer.linear({ inFeatures: 784, outFeatures: 128 }), Layer.relu(), Layer.linear({ inFeatures: 128, outFeatures: 10 })]);
const opt = Optim.adam({ lr: 1e-3 });
const trainer = Train.make({ model, optimizer: opt, loss: Loss.softmaxCrossEntropy });
let state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
const it = ds.iterate(0)[Symbol.iterator]();
const batch = it.next().value!;
function cpu(label: string, n: number, f: () => void) {
  for (let i = 0; i < 5; i++) f();
  let best = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) f();
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1000 / n);
  }
  console.log(label.padEnd(40), best.toFixed(3), 'ms cpu');
}
const vars = state.vars;
const params = vars.params;
const flat = Ptree.flatten(params);
cpu('batch build (host copy + upload + scale)', 100, () => { const b = it.next().value; if (!b) return; nx.dispose(b); });
cpu('forward only', 100, () => nx.dispose(nx.scope(() => Loss.softmaxCrossEntropy(model.apply(vars, batch.x, { training: true }).y, batch.y))));
cpu('forward matmul 128x784x128 only', 100, () => nx.dispose(nx.scope(() => nx.matmul(batch.x, nx.transpose((params as any)[0].weight)))));
cpu('valueAndGrad (fwd+bwd)', 100, () => nx.dispose(nx.scope(() => { const r = nx.valueAndGrad((...ls: nx.Tensor[]) => Loss.softmaxCrossEntropy(model.apply({ ...vars, params: flat.rebuild(ls) }, batch.x, { training: true }).y, batch.y))(...flat.leaves); return [r.value, ...r.grads]; })));
const grads = nx.scope(() => Ptree.map(params, (p) => nx.mul(p, 0.01)));
cpu('adam update + apply', 100, () => { const r = nx.scope(() => { const u = opt.update(grads, state.optState, params); return [Optim.applyUpdates(params, u.updates), u.state]; }); nx.dispose(r); });
cpu('full Train.step', 100, () => { const r = Train.step(trainer, state, batch); state = r.state; nx.dispose(r.loss); });
cpu('128x784 @ 784x128 matmul x2 (floor)', 100, () => { nx.dispose(nx.scope(() => [nx.matmul(batch.x, nx.ones([784, 128])), nx.matmul(nx.transpose(batch.x), nx.ones([128, 128]))])); });
