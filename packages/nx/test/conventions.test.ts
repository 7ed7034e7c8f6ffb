// One convention across nx (an optional axis is the option `axis`; the positional number the
// older signatures took still works), tensors that print like nx.format under console.log, nx.std's
// ddof against NumPy's and PyTorch's defaults, and nx.item typed for its ordinary use.
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';

describe('an optional axis is {axis} everywhere', () => {
  const x = nx.fromArray([[0, 1], [2, 4]]);

  it('softmax and logSoftmax take {axis} (hand-computed values), and the older bare number', () => {
    // column 0: softmax of [0, 2]; column 1: softmax of [1, 4]
    const e = (a: number, b: number) => [Math.exp(a) / (Math.exp(a) + Math.exp(b)), Math.exp(b) / (Math.exp(a) + Math.exp(b))];
    const [c00, c10] = e(0, 2);
    const [c01, c11] = e(1, 4);
    const want = [[c00!, c01!], [c10!, c11!]];
    const got = nx.toArray(nx.scope(() => nx.softmax(x, { axis: 0 }))) as number[][];
    got.flat().forEach((v, i) => expect(v).toBeCloseTo(want.flat()[i]!, 6));
    expect(nx.toArray(nx.scope(() => nx.softmax(x, 0)))).toEqual(got);
    const logs = nx.toArray(nx.scope(() => nx.logSoftmax(x, { axis: 0 }))) as number[][];
    logs.flat().forEach((v, i) => expect(v).toBeCloseTo(Math.log(want.flat()[i]!), 5));
    // default: the last axis
    expect(nx.toArray(nx.scope(() => nx.softmax(x)))).toEqual(nx.toArray(nx.scope(() => nx.softmax(x, { axis: -1 }))));
  });

  it('{axis: 0} is no longer "axis [object Object] is out of range", and a misspelt key is named', () => {
    expect(() => nx.softmax(x, { dim: 0 } as nx.AxisOptions)).toThrow(/^nx\.softmax: unknown option "dim"; did you mean "axis"\? \(known options: axis\)$/);
    expect(() => nx.concatenate([x, x], { axes: 1 } as nx.AxisOptions)).toThrow(/^nx\.concatenate: unknown option "axes"; did you mean "axis"\?/);
  });

  it('concatenate, stack, split, squeeze and flip take {axis} and give what the positional form gave', () => {
    const same = (a: nx.Tensor | nx.Tensor[], b: nx.Tensor | nx.Tensor[]) => {
      const as = Array.isArray(a) ? a : [a];
      const bs = Array.isArray(b) ? b : [b];
      expect(as.map((t) => [t.shape, nx.toArray(t)])).toEqual(bs.map((t) => [t.shape, nx.toArray(t)]));
      nx.dispose([as, bs]);
    };
    same(nx.concatenate([x, x], { axis: 1 }), nx.concatenate([x, x], 1));
    expect(nx.scope(() => nx.concatenate([x, x], { axis: 1 })).shape).toEqual([2, 4]);
    same(nx.stack([x, x], { axis: 2 }), nx.stack([x, x], 2));
    same(nx.split(x, 2, { axis: 1 }), nx.split(x, 2, 1));
    const col = nx.reshape(x, [2, 1, 2]);
    same(nx.squeeze(col, { axis: 1 }), nx.squeeze(col, 1));
    same(nx.flip(x, { axis: 0 }), nx.flip(x, 0));
    expect(nx.toArray(nx.scope(() => nx.flip(x, { axis: [0, 1] })))).toEqual([[4, 2], [1, 0]]);
    nx.dispose(col);
  });
});

describe('printing', () => {
  it('console.log / util.inspect of a tensor is nx.format, not TF.js internals', () => {
    const t = nx.fromArray([[1, 2.5], [3, 4]]);
    expect(inspect(t)).toBe(nx.format(t));
    expect(inspect(t)).toBe('tensor([[1.0, 2.5],\n        [3.0, 4.0]], shape=[2, 2], dtype=float32)');
    const nested = inspect({ w: t, ids: nx.fromArray([1, 2], { dtype: 'int32' }) });
    expect(nested).toContain('ids: tensor([1, 2], shape=[2], dtype=int32)');
    expect(nested).toContain('w: tensor([[1.0, 2.5],');
    expect(nested).not.toMatch(/dataId|kept|isDisposedInternal|rankType/);
    nx.dispose(t);
    expect(inspect(t)).toBe('tensor(<disposed>, shape=[2, 2], dtype=float32)');
  });
});

describe('nx.std and nx.variance: ddof', () => {
  it('ddof 0 (NumPy) by default, ddof 1 gives PyTorch\'s default (unbiased)', () => {
    const v = nx.fromArray([1, 2, 3, 4]); // mean 2.5, squared deviations sum to 5
    expect(nx.item(nx.scope(() => nx.std(v)))).toBeCloseTo(Math.sqrt(5 / 4), 6); // np.std
    expect(nx.item(nx.scope(() => nx.std(v, { ddof: 1 })))).toBeCloseTo(Math.sqrt(5 / 3), 6); // torch.std
    expect(nx.item(nx.scope(() => nx.variance(v, { ddof: 1 })))).toBeCloseTo(5 / 3, 6); // torch.var
    nx.dispose(v);
  });
});

describe('nx.item types', () => {
  it('reads a number without a cast; a bool with nx.item<boolean>', () => {
    const loss = nx.scalar(0.25);
    const value: number = nx.item(loss); // compiles without `as number` or Number(...)
    expect(value.toFixed(2)).toBe('0.25');
    const flag = nx.fromArray([true]);
    const b: boolean = nx.item<boolean>(flag);
    expect(b).toBe(true);
    nx.dispose([loss, flag]);
  });
});
