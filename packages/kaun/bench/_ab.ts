import * as nx from '@raven/nx';
import { Layer, Loss, Optim, Ptree, Train } from '@raven/kaun';

const x = nx.random.uniform(nx.random.key(5), [128, 784]);
const y = nx.fromArray(Int32Array.from({ length: 128 }, (_, i) => i % 10));
const batch = { x, y };

function linIO(inF: number, outF: number): Layer.Layer {
  return {
    init: ({ key }) => ({ params: { weight: nx.random.uniform(key, [inF, outF], { low: -0.05, high: 0.05 }), bias: nx.zeros([outF]) }, state: {}, dtype: 'float32' }),
    apply: (v, h) => ({ y: nx.scope(() => nx.add(nx.matmul(h, (v.params as any).weight), (v.params as any).bias)), state: v.state }),
  };
}
const torchMlp = () => Layer.sequential([Layer.linear({ inFeatures: 784, outFeatures: 128 }), Layer.relu(), Layer.linear({ inFeatures: 128, outFeatures: 10 })]);
const ioMlp = () => Layer.sequential([linIO(784, 128), Layer.relu(), linIO(128, 10)]);

function handAdam(): Optim.Optimizer {
  const [lr, b1, b2, eps] = [1e-3, 0.9, 0.999, 1e-8];
  let t = 0;
  return {
    init: (p) => ({ m: Ptree.zerosLike(p), v: Ptree.zerosLike(p) }),
    update: (g, s, p) => nx.scope(() => {
      t++;
      const c1 = 1 - b1 ** t, c2 = Math.sqrt(1 - b2 ** t);
      const gl = Ptree.leaves(g), ml = Ptree.leaves((s as any).m), vl = Ptree.leaves((s as any).v);
      const f = Ptree.flatten(g);
      const m2 = ml.map((mi, i) => nx.add(nx.mul(mi, b1), nx.mul(gl[i]!, 1 - b1)));
      const v2 = vl.map((vi, i) => nx.add(nx.mul(vi, b2), nx.mul(nx.square(gl[i]!), 1 - b2)));
      const u = m2.map((mi, i) => nx.mul(nx.div(mi, nx.add(nx.div(nx.sqrt(v2[i]!), c2), eps)), -lr / c1));
      return { updates: f.rebuild(u), state: { m: f.rebuild(m2), v: f.rebuild(v2) } };
    }),
  };
}

const configs: Record<string, () => { model: Layer.Layer; opt: Optim.Optimizer }> = {
  'torch-layout + Optim.adam': () => ({ model: torchMlp(), opt: Optim.adam() }),
  'in-out layout + Optim.adam': () => ({ model: ioMlp(), opt: Optim.adam() }),
  'torch-layout + hand adam': () => ({ model: torchMlp(), opt: handAdam() }),
  'in-out layout + hand adam': () => ({ model: ioMlp(), opt: handAdam() }),
  'in-out layout + sgd': () => ({ model: ioMlp(), opt: Optim.sgd({ lr: 0.01 }) }),
};
const best: Record<string, number> = {};
const runners = Object.entries(configs).map(([name, mk]) => {
  const { model, opt } = mk();
  const trainer = Train.make({ model, optimizer: opt, loss: Loss.softmaxCrossEntropy });
  let state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
  return { name, go: (n: number) => { for (let i = 0; i < n; i++) { const r = Train.step(trainer, state, batch); state = r.state; nx.dispose(r.loss); } } };
});
for (const r of runners) r.go(10);
for (let rep = 0; rep < 6; rep++) {
  for (const r of runners) {
    const c0 = process.cpuUsage();
    r.go(30);
    const c = process.cpuUsage(c0);
    const ms = (c.user + c.system) / 1000 / 30;
    best[r.name] = Math.min(best[r.name] ?? Infinity, ms);
  }
}
for (const [k, v] of Object.entries(best)) console.log(k.padEnd(32), v.toFixed(2), 'ms cpu/step (min)');
