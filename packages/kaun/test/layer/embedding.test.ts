import * as nx from '@raven/nx';
import { Init, Layer, LayerError, Ptree } from '@raven/kaun';
import { describe, expect, it } from 'vitest';
import { values } from './_helpers.js';

describe('Layer.embedding', () => {
  it('looks up rows for int32 indices of any shape', () => {
    const emb = Layer.embedding({ numEmbeddings: 5, embeddingDim: 2 });
    const init = emb.init({ key: nx.random.key(0) });
    expect((Ptree.get(init.params, 'weight') as nx.Tensor).shape).toEqual([5, 2]);
    const w = nx.reshape(nx.arange(0, 10, 1, 'float32'), [5, 2]);
    const vars = Layer.withParams(init, { weight: w });
    const idx = nx.fromArray(new Int32Array([4, 0, 2, 2, 1, 3]), { shape: [2, 3] });
    const { y } = emb.apply(vars, idx);
    expect(y.shape).toEqual([2, 3, 2]);
    expect(values(y)).toEqual([8, 9, 0, 1, 4, 5, 4, 5, 2, 3, 6, 7]);
    nx.dispose([init, w, idx, y]);
  });

  it('has N(0, 1) default init, accepts a custom initializer', () => {
    const vars = Layer.embedding({ numEmbeddings: 100, embeddingDim: 100 }).init({ key: nx.random.key(0) });
    const v = values(Ptree.get(vars.params, 'weight') as nx.Tensor);
    const m = v.reduce((s, e) => s + e, 0) / v.length;
    const sd = Math.sqrt(v.reduce((s, e) => s + (e - m) ** 2, 0) / v.length);
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
    const z = Layer.embedding({ numEmbeddings: 2, embeddingDim: 2, weightInit: Init.zeros }).init({ key: nx.random.key(0) });
    expect(values(Ptree.get(z.params, 'weight') as nx.Tensor)).toEqual([0, 0, 0, 0]);
    nx.dispose([vars, z]);
  });

  it('gradient is the count-weighted scatter of the output gradient (repeated indices add up)', () => {
    const emb = Layer.embedding({ numEmbeddings: 4, embeddingDim: 3 });
    const vars = emb.init({ key: nx.random.key(0) });
    const idx = nx.fromArray(new Int32Array([1, 3, 1]));
    const r = nx.fromArray([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    const [g] = nx.grad((w) => nx.sum(nx.mul(emb.apply(Layer.withParams(vars, { weight: w }), idx).y, r)))(Ptree.get(vars.params, 'weight') as nx.Tensor);
    expect(values(g!)).toEqual([0, 0, 0, 8, 10, 12, 0, 0, 0, 4, 5, 6]);
    nx.dispose([vars, idx, r, g]);
  });

  it('rejects float indices', () => {
    const emb = Layer.embedding({ numEmbeddings: 4, embeddingDim: 3 });
    const vars = emb.init({ key: nx.random.key(0) });
    expect(() => emb.apply(vars, nx.zeros([2]))).toThrow(LayerError);
    expect(() => emb.apply(vars, nx.zeros([2]))).toThrow(/expected int32 indices, got dtype float32/);
    nx.dispose(vars);
  });
});
