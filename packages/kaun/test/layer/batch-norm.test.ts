import * as nx from '@raven/nx';
import { Layer, LayerError, Ptree } from '@raven/kaun';
import { describe, expect, it } from 'vitest';
import { checkLayerGrad, expectClose, values } from './_helpers.js';

type Dict = Record<string, nx.Tensor>;

/** Per-channel statistics of an NC... array, computed directly. */
function channelStats(v: number[], shape: number[]) {
  const [n, c] = shape as [number, number];
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const mean: number[] = [];
  const biased: number[] = [];
  const unbiased: number[] = [];
  for (let ci = 0; ci < c; ci++) {
    const xs: number[] = [];
    for (let ni = 0; ni < n; ni++) for (let k = 0; k < inner; k++) xs.push(v[(ni * c + ci) * inner + k]!);
    const m = xs.reduce((s, e) => s + e, 0) / xs.length;
    const ss = xs.reduce((s, e) => s + (e - m) ** 2, 0);
    mean.push(m);
    biased.push(ss / xs.length);
    unbiased.push(ss / (xs.length - 1));
  }
  return { mean, biased, unbiased, inner };
}

describe('Layer.batchNorm', () => {
  it('initialises PyTorch-named params and state', () => {
    const vars = Layer.batchNorm({ numFeatures: 3 }).init({ key: nx.random.key(0) });
    expect(Ptree.paths(vars.params)).toEqual(['weight', 'bias']);
    expect(Ptree.paths(vars.state)).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
    expect(values((vars.state as Dict)['running_var']!)).toEqual([1, 1, 1]);
    nx.dispose(vars);
  });

  for (const shape of [[6, 3], [4, 3, 2, 5]]) {
    it(`training on ${JSON.stringify(shape)} uses batch statistics and updates the running ones (momentum 0.1, unbiased var)`, () => {
      const bn = Layer.batchNorm({ numFeatures: 3 });
      const init = bn.init({ key: nx.random.key(0) });
      const w = nx.fromArray([1, 2, -1]);
      const b = nx.fromArray([0, 0.5, 1]);
      const vars = Layer.withParams(init, { weight: w, bias: b });
      const x = nx.add(nx.mul(nx.random.normal(nx.random.key(1), shape), 3), 2);
      const xv = values(x);
      const { mean, biased, unbiased, inner } = channelStats(xv, shape);
      const { y, state } = bn.apply(vars, x, { training: true });
      const wv = [1, 2, -1];
      const bv = [0, 0.5, 1];
      const expected = xv.map((e, i) => {
        const ci = Math.floor(i / inner) % 3;
        return ((e - mean[ci]!) / Math.sqrt(biased[ci]! + 1e-5)) * wv[ci]! + bv[ci]!;
      });
      expectClose(values(y), expected, 1e-4);
      const s = state as Dict;
      expectClose(values(s['running_mean']!), mean.map((m) => 0.9 * 0 + 0.1 * m), 1e-5);
      expectClose(values(s['running_var']!), unbiased.map((u) => 0.9 * 1 + 0.1 * u), 1e-5);
      expect(values(s['num_batches_tracked']!)).toEqual([1]);
      // the old state is untouched
      expect(values((vars.state as Dict)['running_mean']!)).toEqual([0, 0, 0]);

      // eval uses the running statistics and keeps the state
      const ev = bn.apply(Layer.withState(vars, state), x);
      expect(ev.state).toBe(state);
      const rm = values(s['running_mean']!);
      const rv = values(s['running_var']!);
      const expectedEval = xv.map((e, i) => {
        const ci = Math.floor(i / inner) % 3;
        return ((e - rm[ci]!) / Math.sqrt(rv[ci]! + 1e-5)) * wv[ci]! + bv[ci]!;
      });
      expectClose(values(ev.y), expectedEval, 1e-4);
      nx.dispose([init, w, b, x, y, state, ev.y]);
    });
  }

  it('has correct gradients in training and eval', () => {
    const bn = Layer.batchNorm({ numFeatures: 2 });
    const vars = bn.init({ key: nx.random.key(0) });
    const x = nx.random.normal(nx.random.key(4), [4, 2, 3]);
    checkLayerGrad(bn, vars, x, { training: true });
    checkLayerGrad(bn, vars, x);
    nx.dispose([vars, x]);
  });

  it('without affine or running statistics', () => {
    const bn = Layer.batchNorm({ numFeatures: 2, affine: false, trackRunningStats: false });
    const vars = bn.init({ key: nx.random.key(0) });
    expect(vars.params).toEqual({});
    expect(vars.state).toEqual({});
    const x = nx.fromArray([[1, 10], [3, 30]]);
    // batch statistics even in eval: (x - mean) / sqrt(var + eps), var = 1 and 100
    const { y } = bn.apply(vars, x);
    expectClose(values(y), [-1 / Math.sqrt(1 + 1e-5), -10 / Math.sqrt(100 + 1e-5), 1 / Math.sqrt(1 + 1e-5), 10 / Math.sqrt(100 + 1e-5)]);
    nx.dispose([x, y]);
  });

  it('threads its state through sequential over several training steps', () => {
    const model = Layer.sequential([Layer.linear({ inFeatures: 3, outFeatures: 2 }), Layer.batchNorm({ numFeatures: 2, momentum: 0.5 }), Layer.relu()]);
    let vars = model.init({ key: nx.random.key(0) });
    const x = nx.random.normal(nx.random.key(5), [8, 3]);
    const lin = Layer.linear({ inFeatures: 3, outFeatures: 2 });
    const h = lin.apply({ params: (vars.params as Ptree.Tree[])[0]!, state: {}, dtype: 'float32' }, x).y;
    const { mean, unbiased } = channelStats(values(h), [8, 2]);
    let expectedMean = [0, 0];
    let expectedVar = [1, 1];
    for (let step = 0; step < 3; step++) {
      const out = model.apply(vars, x, { training: true });
      const old = vars.state;
      vars = Layer.withState(vars, out.state);
      Ptree.dispose(old);
      out.y.dispose();
      expectedMean = expectedMean.map((m, i) => 0.5 * m + 0.5 * mean[i]!);
      expectedVar = expectedVar.map((v, i) => 0.5 * v + 0.5 * unbiased[i]!);
    }
    expect(Ptree.paths(vars.state)).toEqual(['1.running_mean', '1.running_var', '1.num_batches_tracked']);
    expectClose(values(Ptree.get(vars.state, '1.running_mean') as nx.Tensor), expectedMean, 1e-5);
    expectClose(values(Ptree.get(vars.state, '1.running_var') as nx.Tensor), expectedVar, 1e-5);
    expect(values(Ptree.get(vars.state, '1.num_batches_tracked') as nx.Tensor)).toEqual([3]);
    nx.dispose([vars, x, h]);
  });

  it('checks its input and options; no leak in training', () => {
    expect(() => Layer.batchNorm({ numFeatures: 2, momentum: 2 })).toThrow(LayerError);
    const bn = Layer.batchNorm({ numFeatures: 2 });
    const vars = bn.init({ key: nx.random.key(0) });
    expect(() => bn.apply(vars, nx.ones([4, 3]))).toThrow(/expected input \[N, 2, \.\.\.\]/);
    expect(() => bn.apply(vars, nx.ones([1, 2]), { training: true })).toThrow(/more than one value per channel/);
    const x = nx.ones([4, 2]);
    const before = nx.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      const out = bn.apply(vars, x, { training: true });
      nx.dispose(out);
    }
    nx.scope(() => { for (let i = 0; i < 5; i++) bn.apply(vars, x, { training: true }); });
    expect(nx.memory().numTensors).toBe(before);
    nx.dispose([vars, x]);
  });
});
