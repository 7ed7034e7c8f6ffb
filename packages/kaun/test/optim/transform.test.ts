import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Optim, Ptree } from '@raven/kaun';

const vals = (t: nx.Tensor) => Array.from(t.dataSync());

describe('clipByGlobalNorm', () => {
  it('scales by maxNorm / norm when the global norm exceeds maxNorm, and leaves smaller updates alone', () => {
    const opt = Optim.clipByGlobalNorm(1);
    // global norm of {a: [3], b: [4]} is 5
    const big = { a: nx.fromArray([3]), b: [nx.fromArray([0, 4])] };
    const r = opt.update(big, opt.init(big));
    const ls = Ptree.leaves(r.updates).flatMap(vals);
    expect(ls[0]).toBeCloseTo(0.6, 6);
    expect(ls[1]).toBeCloseTo(0, 6);
    expect(ls[2]).toBeCloseTo(0.8, 6);
    const small = { a: nx.fromArray([0.3]), b: [nx.fromArray([0, 0.4])] };
    const r2 = opt.update(small, {});
    expect(Ptree.leaves(r2.updates).flatMap(vals).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0.3, 0, 0.4]);
    expect(vals(Optim.globalNorm(big))[0]).toBeCloseTo(5, 5);
    Ptree.dispose([big, small, r.updates, r2.updates]);
  });
});

describe('trace, addDecayedWeights, chain', () => {
  it('trace accumulates g + decay * trace', () => {
    const opt = Optim.trace({ decay: 0.5 });
    const p = { w: nx.zeros([2]) };
    let s = opt.init(p);
    const r1 = opt.update({ w: nx.fromArray([1, 2]) }, s);
    s = r1.state;
    const r2 = opt.update({ w: nx.fromArray([1, 0]) }, s);
    expect(vals((r2.updates as { w: nx.Tensor }).w)).toEqual([1.5, 1]);
  });

  it('addDecayedWeights adds wd * p, masked by path', () => {
    const p = { layer: { weight: nx.fromArray([2, 4]), bias: nx.fromArray([10]) } };
    const g = { layer: { weight: nx.fromArray([1, 1]), bias: nx.fromArray([1]) } };
    const opt = Optim.addDecayedWeights({ weightDecay: 0.5, mask: (path) => !path.endsWith('bias') });
    const r = opt.update(g, opt.init(p), p);
    const u = r.updates as { layer: { weight: nx.Tensor; bias: nx.Tensor } };
    expect(vals(u.layer.weight)).toEqual([2, 3]);
    expect(vals(u.layer.bias)).toEqual([1]);
  });

  it('chain applies in order and keeps one state per transformation', () => {
    const p = { w: nx.zeros([1]) };
    const opt = Optim.chain(Optim.scale(2), Optim.trace({ decay: 0 }), Optim.scaleByLearningRate(0.25));
    const s = opt.init(p);
    expect(Array.isArray(s) && s.length).toBe(3);
    const r = opt.update({ w: nx.fromArray([3]) }, s, p);
    expect(vals((r.updates as { w: nx.Tensor }).w)).toEqual([-1.5]);
    expect(Ptree.flattenWithPaths(r.state).map(([k]) => k)).toEqual(['1.trace.w']);
  });

  it('adam state paths read like a checkpoint, and a count loaded from elsewhere is read from the device', () => {
    const p = { w: nx.ones([2]) };
    const opt = Optim.adam({ lr: 0.1 });
    const s = opt.init(p);
    expect(Ptree.flattenWithPaths(s).map(([k]) => k)).toEqual(['0.count', '0.mu.w', '0.nu.w']);
    // a state rebuilt from "a checkpoint" (fresh tensors) continues the count at 7
    const restored = Ptree.fromPaths([['0.count', nx.scalar(7, 'int32')], ['0.mu.w', nx.zeros([2])], ['0.nu.w', nx.zeros([2])]]);
    const restoredLike = [ (restored as Ptree.Tree[])[0]!, {} ];
    const r = opt.update({ w: nx.ones([2]) }, restoredLike, p);
    const count = ((r.state as Ptree.Tree[])[0] as { count: nx.Tensor }).count;
    expect(vals(count)).toEqual([8]);
    // with t = 8 the first moment is 0.1 g and the bias correction is 1 - 0.9^8
    const m = 0.1, v = 0.001;
    const expected = -0.1 * (m / (1 - 0.9 ** 8)) / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** 8) + 1e-8);
    expect(vals((r.updates as { w: nx.Tensor }).w)[0]).toBeCloseTo(expected, 5);
  });
});
