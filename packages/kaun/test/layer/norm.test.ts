import * as nx from '@raven/nx';
import { Layer, LayerError, Ptree } from '@raven/kaun';
import { describe, expect, it } from 'vitest';
import { checkLayerGrad, expectClose, values } from './_helpers.js';

describe('Layer.layerNorm', () => {
  it('normalises the last axis: (x - mean) / sqrt(var + eps) * weight + bias', () => {
    const ln = Layer.layerNorm({ dim: 4, eps: 1e-3 });
    const init = ln.init({ key: nx.random.key(0) });
    expect(Ptree.paths(init.params)).toEqual(['weight', 'bias']);
    const w = nx.fromArray([1, 2, 3, 4]);
    const b = nx.fromArray([0, 1, 0, -1]);
    const vars = Layer.withParams(init, { weight: w, bias: b });
    const rows = [[1, 2, 3, 4], [-2, 0, 0, 10]];
    const x = nx.fromArray([rows, rows]); // [2, 2, 4]
    const { y } = ln.apply(vars, x);
    const expectedRow = (r: number[]) => {
      const m = r.reduce((s, e) => s + e, 0) / 4;
      const v = r.reduce((s, e) => s + (e - m) ** 2, 0) / 4;
      return r.map((e, i) => ((e - m) / Math.sqrt(v + 1e-3)) * [1, 2, 3, 4][i]! + [0, 1, 0, -1][i]!);
    };
    expectClose(values(y), [...expectedRow(rows[0]!), ...expectedRow(rows[1]!), ...expectedRow(rows[0]!), ...expectedRow(rows[1]!)], 1e-5);
    nx.dispose([init, w, b, x, y]);
  });

  it('normalises over a multi-axis normalizedShape; works without affine', () => {
    const ln = Layer.layerNorm({ normalizedShape: [2, 2], elementwiseAffine: false });
    const vars = ln.init({ key: nx.random.key(0) });
    expect(vars.params).toEqual({});
    const x = nx.fromArray([[[1, 3], [5, 7]]]);
    const { y } = ln.apply(vars, x);
    const s = Math.sqrt(5 + 1e-5);
    expectClose(values(y), [-3 / s, -1 / s, 1 / s, 3 / s]);
    expect(() => ln.apply(vars, nx.ones([2, 3]))).toThrow(/expected input ending in \[2, 2\], got shape \[2, 3\]/);
    expect(() => Layer.layerNorm({})).toThrow(LayerError);
    nx.dispose([x, y]);
  });

  it('has correct gradients', () => {
    const ln = Layer.layerNorm({ dim: 5 });
    const vars = ln.init({ key: nx.random.key(0) });
    const x = nx.random.normal(nx.random.key(1), [3, 5]);
    checkLayerGrad(ln, vars, x);
    nx.dispose([vars, x]);
  });
});

describe('Layer.rmsNorm', () => {
  it('computes x / sqrt(mean(x^2) + eps) * weight and has correct gradients', () => {
    const rn = Layer.rmsNorm({ dim: 3 });
    const init = rn.init({ key: nx.random.key(0) });
    expect(Ptree.paths(init.params)).toEqual(['weight']);
    const w = nx.fromArray([1, -2, 0.5]);
    const vars = Layer.withParams(init, { weight: w });
    const x = nx.fromArray([[1, 2, 2], [0, 3, -4]]);
    const { y } = rn.apply(vars, x);
    const r1 = Math.sqrt(9 / 3 + 1e-6);
    const r2 = Math.sqrt(25 / 3 + 1e-6);
    expectClose(values(y), [1 / r1, -4 / r1, 1 / r1, 0, -6 / r2, -2 / r2]);
    const xg = nx.random.normal(nx.random.key(2), [2, 3]);
    checkLayerGrad(rn, vars, xg);
    nx.dispose([init, w, x, y, xg]);
  });
});
