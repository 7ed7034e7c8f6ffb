/** LSTM and GRU against PyTorch (fixtures) and against hand-computed single steps. */
import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Layer, LayerError, Ptree } from '@raven/kaun';
import { tensor, torchRef, type TT } from '../_fixtures/torch.js';
import { expectClose, values } from './_helpers.js';

interface RnnCase {
  kind: 'lstm' | 'gru'; inputSize: number; hiddenSize: number; numLayers: number; bidirectional: boolean;
  lengths: number[] | null; x: TT; r: TT; output: TT; h: TT; c?: TT; params: Record<string, TT>; grads: Record<string, TT>; gradX: TT;
}

function maskOf(lengths: number[], steps: number): nx.Tensor {
  return nx.fromArray(lengths.map((l) => Array.from({ length: steps }, (_, t) => (t < l ? 1 : 0))), { dtype: 'int32' });
}

const cases: RnnCase[] = [...torchRef.lstm, ...torchRef.gru];

describe.each(cases.map((c) => [`${c.kind} layers ${c.numLayers} bidirectional ${c.bidirectional} lengths ${JSON.stringify(c.lengths)}`, c] as const))('%s', (_name, c) => {
  it("matches torch.nn's output, final states and gradients (packed sequences for the lengths)", () => {
    const opts = { inputSize: c.inputSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, bidirectional: c.bidirectional, returnState: true as const };
    const layer = c.kind === 'lstm' ? Layer.lstm(opts) : Layer.gru(opts);
    const fresh = layer.init({ key: nx.random.key(0) });
    expect(Ptree.paths(fresh.params).sort()).toEqual(Object.keys(c.params).sort()); // PyTorch's names
    Ptree.dispose(fresh.params);
    const params: Record<string, nx.Tensor> = Object.fromEntries(Object.entries(c.params).map(([k, v]) => [k, tensor(v)]));
    const x = tensor(c.x);
    const steps = c.x.shape[1]!;
    const mask = c.lengths === null ? undefined : maskOf(c.lengths, steps);
    const vars = { params, state: {}, dtype: 'float32' as const };
    const before = nx.memory().numTensors;
    const { y } = layer.apply(vars, mask === undefined ? { x } : { x, mask });
    expect(nx.memory().numTensors - before).toBe(c.kind === 'lstm' ? 3 : 2); // output, h (, c): nothing leaks
    expectClose(values(y.output), c.output.data, 1e-5);
    expect(y.h.shape).toEqual(c.h.shape);
    expectClose(values(y.h), c.h.data, 1e-5);
    if (c.kind === 'lstm') expectClose(values(y.c!), c.c!.data, 1e-5);

    const names = Object.keys(params);
    const r = tensor(c.r);
    const grads = nx.grad((...ts: nx.Tensor[]) => {
      const p = Object.fromEntries(names.map((k, i) => [k, ts[i]!]));
      const out = layer.apply({ ...vars, params: p }, mask === undefined ? { x: ts[names.length]! } : { x: ts[names.length]!, mask }).y;
      return nx.sum(nx.mul(out.output, r));
    })(...names.map((k) => params[k]!), x);
    names.forEach((k, i) => expectClose(values(grads[i]!), c.grads[k]!.data, 1e-4));
    expectClose(values(grads[names.length]!), c.gradX.data, 1e-4);
    nx.dispose([grads, y, x, r, params, mask]);
  });
});

describe('hand-computed single steps', () => {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  it('LSTM, one input and one hidden unit', () => {
    // gates i, f, g, o; h0 = 0.5, c0 = -0.25, x = 2
    const wih = [0.1, -0.2, 0.3, 0.4];
    const whh = [0.5, 0.6, -0.7, 0.8];
    const bih = [0.01, 0.02, 0.03, 0.04];
    const bhh = [-0.01, 0.0, 0.05, 0.1];
    const pre = wih.map((w, k) => w * 2 + bih[k]! + whh[k]! * 0.5 + bhh[k]!);
    const c1 = sig(pre[1]!) * -0.25 + sig(pre[0]!) * Math.tanh(pre[2]!);
    const h1 = sig(pre[3]!) * Math.tanh(c1);
    const layer = Layer.lstm({ inputSize: 1, hiddenSize: 1, returnState: true });
    const params = { weight_ih_l0: nx.fromArray(wih.map((w) => [w])), weight_hh_l0: nx.fromArray(whh.map((w) => [w])), bias_ih_l0: nx.fromArray(bih), bias_hh_l0: nx.fromArray(bhh) };
    const { y } = layer.apply({ params, state: {}, dtype: 'float32' }, { x: nx.fromArray([[[2]]]), h0: nx.fromArray([[[0.5]]]), c0: nx.fromArray([[[-0.25]]]) });
    expectClose(values(y.output), [h1], 1e-6);
    expectClose(values(y.c!), [c1], 1e-6);
  });

  it('GRU, one input and one hidden unit; a masked step keeps the state and outputs 0', () => {
    const wih = [0.3, -0.5, 0.9];
    const whh = [0.2, 0.4, -0.6];
    const bih = [0.1, 0.0, -0.1];
    const bhh = [0.05, -0.05, 0.2];
    const h0 = 0.3;
    const x = -1.5;
    const r = sig(wih[0]! * x + bih[0]! + whh[0]! * h0 + bhh[0]!);
    const z = sig(wih[1]! * x + bih[1]! + whh[1]! * h0 + bhh[1]!);
    const n = Math.tanh(wih[2]! * x + bih[2]! + r * (whh[2]! * h0 + bhh[2]!));
    const h1 = (1 - z) * n + z * h0;
    const layer = Layer.gru({ inputSize: 1, hiddenSize: 1, returnState: true });
    const params = { weight_ih_l0: nx.fromArray(wih.map((w) => [w])), weight_hh_l0: nx.fromArray(whh.map((w) => [w])), bias_ih_l0: nx.fromArray(bih), bias_hh_l0: nx.fromArray(bhh) };
    // two sequences: the second's only step is padding
    const { y } = layer.apply({ params, state: {}, dtype: 'float32' }, {
      x: nx.fromArray([[[x]], [[x]]]), h0: nx.fromArray([[[h0], [h0]]]), mask: nx.fromArray([[true], [false]], { dtype: 'bool' }),
    });
    expectClose(values(y.output), [h1, 0], 1e-6);
    expectClose(values(y.h), [h1, h0], 1e-6);
  });

  it('a bidirectional LSTM stacks into [N, T, 2H] and composes in sequential; bad shapes are named', () => {
    const model = Layer.sequential([Layer.lstm({ inputSize: 3, hiddenSize: 4, bidirectional: true, numLayers: 2, dropout: 0.5 }), Layer.linear({ inFeatures: 8, outFeatures: 2 })]);
    const vars = model.init({ key: nx.random.key(1) });
    const x = nx.random.normal(nx.random.key(2), [2, 5, 3]);
    expect(model.apply(vars, x).y.shape).toEqual([2, 5, 2]);
    expect(model.apply(vars, x, { training: true, key: nx.random.key(3) }).y.shape).toEqual([2, 5, 2]);
    expect(() => model.apply(vars, nx.zeros([2, 5, 4]))).toThrow(LayerError);
    expect(() => Layer.lstm({ inputSize: 3, hiddenSize: 4, hidenSize: 2 } as never)).toThrow(/did you mean "hiddenSize"/);
    expect(() => Layer.gru({ inputSize: 3, hiddenSize: 4 }).apply(Layer.gru({ inputSize: 3, hiddenSize: 4 }).init({ key: nx.random.key(0) }), { x: nx.zeros([2, 5, 3]), mask: nx.zeros([2, 4]) })).toThrow(/mask must have shape \[2, 5\]/);
  });
});
