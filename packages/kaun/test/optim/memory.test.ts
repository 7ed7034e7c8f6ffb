import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Optim, Ptree } from '@raven/kaun';

describe('optimizer memory', () => {
  it('a chain frees each transform\'s updates once the next has consumed them', () => {
    const params = { w: nx.ones([4, 3]), b: nx.zeros([3]) };
    const grads = { w: nx.full([4, 3], 0.5), b: nx.full([3], -1) };
    let adamUpdates: nx.Tensor[] = [];
    let seenDisposed: boolean[] = [];
    const adam = Optim.scaleByAdam();
    const spyAdam: Optim.Optimizer = {
      init: adam.init,
      update: (g, s, p) => {
        const r = adam.update(g, s, p);
        adamUpdates = Ptree.leaves(r.updates);
        return r;
      },
    };
    const probe: Optim.Optimizer = {
      init: () => ({}),
      update: (u) => {
        seenDisposed = adamUpdates.map((t) => t.isDisposed);
        return { updates: u, state: {} };
      },
    };
    const opt = Optim.chain(spyAdam, Optim.addDecayedWeights({ weightDecay: 0.01 }), Optim.scaleByLearningRate(0.1), probe);
    const state = opt.init(params);
    const before = nx.memory().numTensors;
    const r = opt.update(grads, state, params);
    // by the time the last transform runs, Adam's update tree (two transforms back) is gone
    expect(seenDisposed).toEqual([true, true]);
    // the caller's gradients and the parameters are untouched
    expect(nx.toArray(grads.w)).toEqual(Array.from({ length: 4 }, () => [0.5, 0.5, 0.5]));
    // what survives: the final updates (2) and the new state (Adam's count, mu, nu: 5 leaves)
    expect(nx.memory().numTensors - before).toBe(2 + 5);
    nx.dispose([r, state, params, grads]);
  });

  it('momentum\'s trace, which is both update and state, survives the chain', () => {
    const params = { w: nx.ones([2]) };
    const opt = Optim.chain(Optim.trace({ decay: 0.9 }), Optim.scaleByLearningRate(1));
    let state = opt.init(params);
    for (let k = 0; k < 3; k++) {
      const r = opt.update({ w: nx.ones([2]) }, state, params);
      nx.dispose(state);
      state = r.state;
      nx.dispose(r.updates);
    }
    // trace after 3 steps of g = 1: 1, 1.9, 2.71
    const tr = ((state as Ptree.Tree[])[0] as { trace: { w: nx.Tensor } }).trace.w;
    const v = nx.toArray(tr) as number[];
    expect(v[0]).toBeCloseTo(2.71, 5);
  });
});
