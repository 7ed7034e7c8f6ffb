import * as nx from '@raven/nx';
import { Init, Layer, LayerError, Ptree } from '@raven/kaun';
import { describe, expect, it } from 'vitest';
import { checkLayerGrad, expectClose, values } from './_helpers.js';

const key = nx.random.key(0);

describe('Layer.linear', () => {
  it('has PyTorch-named params of PyTorch shapes and a PyTorch default init range', () => {
    const layer = Layer.linear({ inFeatures: 400, outFeatures: 30 });
    const vars = layer.init({ key });
    expect(Ptree.paths(vars.params)).toEqual(['weight', 'bias']);
    const w = Ptree.get(vars.params, 'weight') as nx.Tensor;
    const b = Ptree.get(vars.params, 'bias') as nx.Tensor;
    expect(w.shape).toEqual([30, 400]);
    expect(b.shape).toEqual([30]);
    expect(vars.state).toEqual({});
    expect(vars.dtype).toBe('float32');
    const bound = 1 / Math.sqrt(400);
    const wv = values(w);
    expect(Math.max(...wv.map(Math.abs))).toBeLessThanOrEqual(bound);
    // U(-b, b) has std b/sqrt(3)
    const mean = wv.reduce((s, v) => s + v, 0) / wv.length;
    const std = Math.sqrt(wv.reduce((s, v) => s + (v - mean) ** 2, 0) / wv.length);
    expect(Math.abs(mean)).toBeLessThan(0.003);
    expect(std).toBeGreaterThan(0.95 * bound / Math.sqrt(3));
    expect(std).toBeLessThan(1.05 * bound / Math.sqrt(3));
    expect(Math.max(...values(b).map(Math.abs))).toBeLessThanOrEqual(bound);
    Ptree.dispose(vars.params);
  });

  it('computes x W^T + b on hand-computed numbers, for [B, in] and [B, T, in]', () => {
    const layer = Layer.linear({ inFeatures: 3, outFeatures: 2 });
    const vars: Layer.Vars = { params: { weight: nx.fromArray([[1, 2, 3], [-1, 0, 1]]), bias: nx.fromArray([0.5, -2]) }, state: {}, dtype: 'float32' };
    const x = nx.fromArray([[1, 1, 1], [2, 0, -1]]);
    const { y, state } = layer.apply(vars, x);
    expect(y.shape).toEqual([2, 2]);
    // [1+2+3+0.5, -1+0+1-2], [2+0-3+0.5, -2+0-1-2]
    expectClose(values(y), [6.5, -2, -0.5, -5]);
    expect(state).toBe(vars.state);
    const x3 = nx.reshape(nx.concatenate([x, x]), [2, 2, 3]);
    expectClose(values(layer.apply(vars, x3).y), [6.5, -2, -0.5, -5, 6.5, -2, -0.5, -5]);
    nx.dispose([vars.params, x, y, x3]);
  });

  it('works without bias and with custom initializers', () => {
    const layer = Layer.linear({ inFeatures: 2, outFeatures: 2, bias: false, weightInit: Init.constant(2) });
    const vars = layer.init({ key });
    expect(Ptree.paths(vars.params)).toEqual(['weight']);
    nx.scope(() => expectClose(values(layer.apply(vars, nx.fromArray([[1, 3]])).y), [8, 8]));
    const withBias = Layer.linear({ inFeatures: 2, outFeatures: 2, biasInit: Init.ones, weightInit: Init.zeros }).init({ key });
    expectClose(values(Ptree.get(withBias.params, 'bias') as nx.Tensor), [1, 1]);
    nx.dispose([vars.params, withBias.params]);
  });

  it('has correct gradients (finite differences)', () => {
    const layer = Layer.linear({ inFeatures: 5, outFeatures: 3 });
    const vars = layer.init({ key });
    const x = nx.random.normal(nx.random.key(1), [4, 5]);
    checkLayerGrad(layer, vars, x);
    nx.dispose([vars.params, x]);
  });

  it('rejects bad sizes and wrong inputs with clear messages', () => {
    expect(() => Layer.linear({ inFeatures: 0, outFeatures: 2 })).toThrow(/Layer.linear: inFeatures must be a positive integer, got 0/);
    const layer = Layer.linear({ inFeatures: 3, outFeatures: 2 });
    const vars = layer.init({ key });
    const x = nx.zeros([2, 4]);
    expect(() => layer.apply(vars, x)).toThrow(LayerError);
    expect(() => layer.apply(vars, x)).toThrow(/expected input with last axis 3, got shape \[2, 4\]/);
    expect(() => layer.apply({ ...vars, params: {} }, x)).toThrow(/expected a tensor 'weight'/);
    nx.dispose([vars.params, x]);
  });

  it('does not leak tensors over repeated applies', () => {
    const layer = Layer.linear({ inFeatures: 8, outFeatures: 4 });
    const vars = layer.init({ key });
    const x = nx.ones([2, 8]);
    const before = nx.memory().numTensors;
    for (let i = 0; i < 20; i++) layer.apply(vars, x).y.dispose();
    nx.scope(() => { for (let i = 0; i < 20; i++) layer.apply(vars, x); });
    expect(nx.memory().numTensors).toBe(before);
    nx.dispose([vars.params, x]);
  });
});
