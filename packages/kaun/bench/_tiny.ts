import * as nx from '@raven/nx';
import { Layer, Loss, Optim, Train } from '@raven/kaun';
const x = nx.random.uniform(nx.random.key(5), [4, 8]);
const y = nx.fromArray(Int32Array.from({ length: 4 }, (_, i) => i % 2));
const model = Layer.sequential([Layer.linear({ inFeatures: 8, outFeatures: 8 }), Layer.relu(), Layer.linear({ inFeatures: 8, outFeatures: 2 })]);
const trainer = Train.make({ model, optimizer: Optim.adam(), loss: Loss.softmaxCrossEntropy });
let state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
const key = nx.random.split(nx.random.key(0), 2);
let params = [nx.random.uniform(key[0]!, [8, 8]), nx.zeros([8]), nx.random.uniform(key[1]!, [8, 2]), nx.zeros([2])];
let m = params.map((p) => nx.zerosLike(p)); let v = params.map((p) => nx.zerosLike(p)); let t = 0;
const fns: Record<string, () => void> = {
  step: () => { const r = Train.step(trainer, state, { x, y }); state = r.state; nx.dispose(r.loss); },
  hand: () => {
    t++;
    const next = nx.scope(() => {
      const { value, grads } = nx.valueAndGrad((w1: nx.Tensor, c1: nx.Tensor, w2: nx.Tensor, c2: nx.Tensor) => Loss.softmaxCrossEntropy(nx.add(nx.matmul(nx.relu(nx.add(nx.matmul(x, w1), c1)), w2), c2), y))(...params);
      const c1 = 1 - 0.9 ** t, c2 = Math.sqrt(1 - 0.999 ** t);
      const m2 = m.map((mi, i) => nx.add(nx.mul(mi, 0.9), nx.mul(grads[i]!, 0.1)));
      const v2 = v.map((vi, i) => nx.add(nx.mul(vi, 0.999), nx.mul(nx.square(grads[i]!), 0.001)));
      const p2 = params.map((p, i) => nx.sub(p, nx.mul(nx.div(m2[i]!, nx.add(nx.div(nx.sqrt(v2[i]!), c2), 1e-8)), 1e-3 / c1)));
      return { p2, m2, v2, value };
    });
    nx.dispose([params, m, v, next.value]);
    params = next.p2; m = next.m2; v = next.v2;
  },
  fwdbwd: () => { nx.dispose(nx.scope(() => { const r = nx.valueAndGrad((w1: nx.Tensor, c1: nx.Tensor, w2: nx.Tensor, c2: nx.Tensor) => Loss.softmaxCrossEntropy(nx.add(nx.matmul(nx.relu(nx.add(nx.matmul(x, w1), c1)), w2), c2), y))(...params); return [r.value, ...r.grads]; })); },
  adamOnly: () => { const r = nx.scope(() => { const u = trainer.optimizer.update(state.vars.params, state.optState, state.vars.params); return u; }); nx.dispose([r.updates, r.state]); },
  emptyScope: () => { nx.scope(() => { nx.add(x, 1); }); },
};
for (const f of Object.values(fns)) for (let i = 0; i < 200; i++) f();
const best: Record<string, number> = {};
for (let rep = 0; rep < 5; rep++) for (const [k, f] of Object.entries(fns)) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < 200; i++) f();
  const c = process.cpuUsage(c0);
  best[k] = Math.min(best[k] ?? Infinity, (c.user + c.system) / 200);
}
for (const [k, v] of Object.entries(best)) console.log(k.padEnd(12), v.toFixed(1), 'us cpu per call');
