import * as nx from '@raven/nx';
import { Init, Layer, LayerError, Ptree } from '@raven/kaun';
import { describe, expect, it } from 'vitest';
import { expectClose, values } from './_helpers.js';

type Dict = Record<string, nx.Tensor>;

/** A custom layer written as a plain object: y = x * scale, and a state counting calls. */
const scaleLayer = (init: number): Layer.Layer => ({
  init: ({ dtype = 'float32' }) => ({ params: { scale: nx.full([], init, dtype) }, state: { calls: nx.zeros([], 'int32') }, dtype }),
  apply: (vars, x) => ({
    y: nx.mul(x, (vars.params as Dict)['scale']!),
    state: { calls: nx.add((vars.state as Dict)['calls']!, 1) },
  }),
});

/** A layer that records the key it is given. */
function keyProbe(seen: Array<nx.random.Key | undefined>): Layer.Layer {
  return Layer.fn((x: nx.Tensor, o) => { seen.push(o.key); return x; });
}

describe('Layer.sequential', () => {
  it('stores params and state as lists with paths 0.weight ...', () => {
    const mlp = Layer.sequential([Layer.linear({ inFeatures: 4, outFeatures: 3 }), Layer.relu(), Layer.linear({ inFeatures: 3, outFeatures: 2 })]);
    const vars = mlp.init({ key: nx.random.key(0) });
    expect(Ptree.paths(vars.params)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(vars.state).toEqual([{}, {}, {}]);
    expect(Ptree.countParameters(vars.params)).toBe(4 * 3 + 3 + 3 * 2 + 2);
    const x = nx.random.normal(nx.random.key(1), [5, 4]);
    const { y } = mlp.apply(vars, x);
    // the same computation written out
    const p = vars.params as Dict[];
    const ref = nx.scope(() => nx.add(nx.matmul(nx.relu(nx.add(nx.matmul(x, nx.transpose(p[0]!['weight']!)), p[0]!['bias']!)), nx.transpose(p[2]!['weight']!)), p[2]!['bias']!));
    expectClose(values(y), values(ref), 1e-5);
    nx.dispose([vars.params, x, y, ref]);
  });

  it('gives each layer its own init key (the same layer twice gets different params)', () => {
    const model = Layer.sequential([Layer.linear({ inFeatures: 3, outFeatures: 3 }), Layer.linear({ inFeatures: 3, outFeatures: 3 })]);
    const vars = model.init({ key: nx.random.key(0) });
    const [a, b] = (vars.params as Dict[]).map((d) => values(d['weight']!));
    expect(a).not.toEqual(b);
    const again = model.init({ key: nx.random.key(0) });
    expect(values((again.params as Dict[])[0]!['weight']!)).toEqual(a);
    nx.dispose([vars.params, again.params]);
  });

  it('splits the apply key per layer and passes none when none is given', () => {
    const seen: Array<nx.random.Key | undefined> = [];
    const model = Layer.sequential([keyProbe(seen), keyProbe(seen)]);
    const vars = model.init({ key: nx.random.key(0) });
    const x = nx.ones([1]);
    const k = nx.random.key(5);
    model.apply(vars, x, { training: true, key: k });
    expect(seen[0]!.equals(nx.random.split(k, 2)[0]!)).toBe(true);
    expect(seen[1]!.equals(nx.random.split(k, 2)[1]!)).toBe(true);
    model.apply(vars, x);
    expect(seen.slice(2)).toEqual([undefined, undefined]);
    x.dispose();
  });

  it('threads state, including a custom layer written as a plain object', () => {
    const model = Layer.sequential([scaleLayer(2), Layer.tanh(), scaleLayer(3)]);
    let vars = model.init({ key: nx.random.key(0) });
    expect(Ptree.paths(vars.params)).toEqual(['0.scale', '2.scale']);
    const x = nx.fromArray([0.1, -0.2]);
    for (let i = 0; i < 3; i++) {
      const out = model.apply(vars, x);
      vars = Layer.withState(vars, out.state);
      if (i === 0) expectClose(values(out.y), [3 * Math.tanh(0.2), 3 * Math.tanh(-0.4)]);
    }
    expect(Ptree.paths(vars.state)).toEqual(['0.calls', '2.calls']);
    expect(values(Ptree.get(vars.state, '2.calls') as nx.Tensor)).toEqual([3]);
    nx.dispose([vars, x]);
  });

  it('does not leak over repeated training applies inside and outside scopes', () => {
    const model = Layer.sequential([Layer.linear({ inFeatures: 4, outFeatures: 4 }), Layer.batchNorm({ numFeatures: 4 }), Layer.dropout({ rate: 0.5 }), Layer.gelu()]);
    const vars = model.init({ key: nx.random.key(0) });
    const x = nx.random.normal(nx.random.key(1), [3, 4]);
    const before = nx.memory().numTensors;
    for (let i = 0; i < 10; i++) nx.dispose(model.apply(vars, x, { training: true, key: nx.random.key(i) }));
    nx.scope(() => { for (let i = 0; i < 10; i++) model.apply(vars, x, { training: true, key: nx.random.key(i) }); });
    expect(nx.memory().numTensors).toBe(before);
    nx.dispose([vars, x]);
  });

  it('rejects non-layers and vars of the wrong structure', () => {
    expect(() => Layer.sequential([Layer.relu(), {} as Layer.Layer])).toThrow(/element 1 is not a layer/);
    const model = Layer.sequential([Layer.relu()]);
    const x = nx.ones([1]);
    expect(() => model.apply({ params: [], state: [], dtype: 'float32' }, x)).toThrow(/expected params to be a list of 1 entries, got a list of 0/);
    x.dispose();
  });
});

describe('Layer.compose and Layer.named', () => {
  it('compose applies left then right, with params {left, right}', () => {
    const m = Layer.compose(Layer.linear({ inFeatures: 2, outFeatures: 2, weightInit: Init.constant(1), biasInit: Init.zeros }), scaleLayer(-1));
    const vars = m.init({ key: nx.random.key(0) });
    expect(Ptree.paths(vars.params)).toEqual(['left.weight', 'left.bias', 'right.scale']);
    const x = nx.fromArray([[1, 2]]);
    const out = m.apply(vars, x);
    expect(values(out.y)).toEqual([-3, -3]);
    expect(values(Ptree.get(out.state, 'right.calls') as nx.Tensor)).toEqual([1]);
    nx.dispose([vars, x, out]);
  });

  it('named wires children by name with a forward function, threads state, and derives keys', () => {
    const seen: Array<nx.random.Key | undefined> = [];
    const m = Layer.named<nx.Tensor, nx.Tensor>({ encoder: scaleLayer(2), probe: keyProbe(seen), head: scaleLayer(5) }, (call, x) => {
      const h = call<nx.Tensor, nx.Tensor>('encoder', x);
      call('probe', h);
      call('probe', h);
      return nx.add(call('head', h), call('encoder', h));
    });
    const vars = m.init({ key: nx.random.key(0) });
    expect(Ptree.paths(vars.params)).toEqual(['encoder.scale', 'head.scale']);
    const x = nx.fromArray([1]);
    const k = nx.random.key(3);
    const out = m.apply(vars, x, { key: k });
    expect(values(out.y)).toEqual([2 * 5 + 2 * 2]);
    expect(values(Ptree.get(out.state, 'encoder.calls') as nx.Tensor)).toEqual([2]);
    expect(values(Ptree.get(out.state, 'head.calls') as nx.Tensor)).toEqual([1]);
    expect(seen[0]!.equals(nx.random.foldIn(k, 1))).toBe(true);
    expect(seen[0]!.equals(seen[1]!)).toBe(false);
    expect(() => m.apply(vars, x, {})).not.toThrow();
    nx.dispose([vars, x, out]);
  });

  it('named without forward runs the children in order; bad names throw', () => {
    const m = Layer.named({ a: scaleLayer(2), b: scaleLayer(3) });
    const vars = m.init({ key: nx.random.key(0) });
    const x = nx.fromArray([1]);
    expect(values(m.apply(vars, x).y)).toEqual([6]);
    expect(() => Layer.named({ 'a.b': Layer.relu() })).toThrow(LayerError);
    const bad = Layer.named({ a: Layer.relu() }, (call, t: nx.Tensor) => call('b', t));
    expect(() => bad.apply(bad.init({ key: nx.random.key(0) }), x)).toThrow(/no child named 'b'/);
    nx.dispose([vars, x]);
  });
});

describe('vars helpers', () => {
  it('params/state/withParams/withState do not mutate', () => {
    const vars: Layer.Vars = { params: { a: nx.ones([1]) }, state: {}, dtype: 'float32' };
    const p2 = { b: nx.zeros([1]) };
    const v2 = Layer.withParams(vars, p2);
    expect(Layer.params(v2)).toBe(p2);
    expect(Layer.params(vars)).not.toBe(p2);
    const v3 = Layer.withState(v2, p2);
    expect(Layer.state(v3)).toBe(p2);
    expect(v3.params).toBe(p2);
    expect(Layer.state(vars)).toEqual({});
    nx.dispose([vars, p2]);
  });
});
