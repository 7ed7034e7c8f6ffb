import * as nx from '@raven/nx';
import { Layer } from '@raven/kaun';
import { describe, expect, it } from 'vitest';
import { checkLayerGrad, expectClose, values } from './_helpers.js';

// erf by Abramowitz-Stegun 7.1.26 is only 1.5e-7 accurate; use a series good to float64 for |x| <= 4
function erf(x: number): number {
  let sum = x;
  let term = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const xs = [-3, -1.5, -0.5, 0, 0.25, 1, 2.5];
const table: Array<[string, Layer.Layer, (x: number) => number]> = [
  ['relu', Layer.relu(), (x) => Math.max(x, 0)],
  ['gelu', Layer.gelu(), (x) => 0.5 * x * (1 + erf(x / Math.SQRT2))],
  ['gelu tanh', Layer.gelu({ approximate: 'tanh' }), (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)))],
  ['silu', Layer.silu(), (x) => x * sigmoid(x)],
  ['tanh', Layer.tanh(), Math.tanh],
  ['sigmoid', Layer.sigmoid(), sigmoid],
  ['leakyRelu', Layer.leakyRelu({ negativeSlope: 0.2 }), (x) => (x >= 0 ? x : 0.2 * x)],
  ['leakyRelu slope 2', Layer.leakyRelu({ negativeSlope: 2 }), (x) => (x >= 0 ? x : 2 * x)],
  ['elu', Layer.elu({ alpha: 1.5 }), (x) => (x > 0 ? x : 1.5 * (Math.exp(x) - 1))],
  ['softplus', Layer.softplus(), (x) => Math.log1p(Math.exp(x))],
  ['identity', Layer.identity(), (x) => x],
];

describe('activation layers', () => {
  for (const [name, layer, f] of table) {
    it(`${name} matches its formula and has correct gradients`, () => {
      const vars = layer.init({ key: nx.random.key(0) });
      expect(vars.params).toEqual({});
      const x = nx.fromArray(xs);
      const { y } = layer.apply(vars, x);
      expect(y.shape).toEqual([xs.length]);
      expectClose(values(y), xs.map(f), 2e-6);
      // gradients away from kinks (0 for relu-like functions)
      const xg = nx.fromArray([-1.3, -0.4, 0.7, 2.1]);
      checkLayerGrad(layer, vars, xg);
      nx.dispose([x, y, xg]);
    });
  }

  it('softmax and logSoftmax along an axis', () => {
    const x = nx.fromArray([[1, 2], [3, 5]]);
    const sm = Layer.softmax({ axis: 0 }).apply({ params: {}, state: {}, dtype: 'float32' }, x).y;
    const e = (a: number, b: number) => Math.exp(a) / (Math.exp(a) + Math.exp(b));
    expectClose(values(sm), [e(1, 3), e(2, 5), e(3, 1), e(5, 2)]);
    const ls = Layer.logSoftmax().apply({ params: {}, state: {}, dtype: 'float32' }, x).y;
    expectClose(values(ls), [Math.log(e(1, 2)), Math.log(e(2, 1)), Math.log(e(3, 5)), Math.log(e(5, 3))]);
    nx.dispose([x, sm, ls]);
  });

  it('functional forms agree with the layers; elu stays finite for large inputs', () => {
    const x = nx.fromArray([-2, 0.5, 100]);
    const g = Layer.Activation.gelu(x);
    const gl = Layer.gelu().apply({ params: {}, state: {}, dtype: 'float32' }, x).y;
    expect(values(g)).toEqual(values(gl));
    const grads = nx.grad((t) => nx.sum(Layer.Activation.elu(t)))(x);
    expect(values(grads[0]!).every(Number.isFinite)).toBe(true);
    expect(Layer.Activation.swish).toBe(Layer.Activation.silu);
    nx.dispose([x, g, gl, grads]);
  });

  it('Layer.fn wraps any function and sees the apply options', () => {
    const layer = Layer.fn((x: nx.Tensor, o) => (o.training ? nx.mul(x, 2) : x));
    const x = nx.ones([2]);
    const vars = layer.init({ key: nx.random.key(0) });
    expect(values(layer.apply(vars, x, { training: true }).y)).toEqual([2, 2]);
    expect(layer.apply(vars, x).y).toBe(x);
    x.dispose();
  });
});
