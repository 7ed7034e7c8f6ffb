import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { expectTensor, values } from '../_helpers.js';

// x[i][j][k] = i*12 + j*4 + k - 5, shape [2, 3, 4]; reference reductions are computed in JS.
const DATA = Array.from({ length: 24 }, (_, n) => n - 5);
const at = (i: number, j: number, k: number) => DATA[i * 12 + j * 4 + k]!;
const make = () => nx.fromArray(DATA, { shape: [2, 3, 4] });

function reduceRef(axes: number[], f: (xs: number[]) => number): { shape: number[]; v: number[] } {
  const shape = [2, 3, 4].filter((_, a) => !axes.includes(a));
  const out: number[] = [];
  const ranges = [2, 3, 4].map((d, a) => (axes.includes(a) ? [-1] : Array.from({ length: d }, (_, i) => i)));
  for (const i of ranges[0]!) for (const j of ranges[1]!) for (const k of ranges[2]!) {
    const xs: number[] = [];
    for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 4; c++) {
      if ((i < 0 || a === i) && (j < 0 || b === j) && (k < 0 || c === k)) xs.push(at(a, b, c));
    }
    out.push(f(xs));
  }
  return { shape, v: out };
}

const sum = (xs: number[]) => xs.reduce((p, q) => p + q, 0);
const mean = (xs: number[]) => sum(xs) / xs.length;
const variance = (xs: number[], ddof = 0) => sum(xs.map((v) => (v - mean(xs)) ** 2)) / (xs.length - ddof);

describe('reductions', () => {
  const axesCases: Array<number[]> = [[0], [1], [2], [0, 2], [0, 1, 2]];
  const cases: Array<[string, (x: nx.Tensor, o: nx.ReduceOptions) => nx.Tensor, (xs: number[]) => number]> = [
    ['sum', nx.sum, sum],
    ['mean', nx.mean, mean],
    ['max', nx.max, (xs) => Math.max(...xs)],
    ['min', nx.min, (xs) => Math.min(...xs)],
    ['logsumexp', nx.logsumexp, (xs) => Math.log(sum(xs.map(Math.exp)))],
  ];

  for (const [name, op, ref] of cases) {
    it(`${name} over each axis set, with and without keepDims`, () => {
      nx.scope(() => {
        const x = make();
        for (const axes of axesCases) {
          const want = reduceRef(axes, ref);
          expectTensor(op(x, { axis: axes }), want.shape, want.v, 1e-5);
          const kept = op(x, { axis: axes, keepDims: true });
          expect(kept.shape).toEqual([2, 3, 4].map((d, a) => (axes.includes(a) ? 1 : d)));
        }
        expectTensor(op(x, {}), [], reduceRef([0, 1, 2], ref).v, 1e-5);
        // negative axes count from the end
        expectTensor(op(x, { axis: -1 }), [2, 3], reduceRef([2], ref).v, 1e-5);
      });
    });
  }

  it('prod over an axis', () => {
    nx.scope(() => {
      const x = nx.fromArray([[1, 2, 3], [4, 5, 6]]);
      expectTensor(nx.prod(x, { axis: 1 }), [2], [6, 120]);
      expectTensor(nx.prod(x), [], [720]);
    });
  });

  it('variance and std with ddof as NumPy', () => {
    nx.scope(() => {
      const x = make();
      for (const ddof of [0, 1]) {
        const want = reduceRef([1], (xs) => variance(xs, ddof));
        expectTensor(nx.variance(x, { axis: 1, ddof }), want.shape, want.v, 1e-5);
        expectTensor(nx.std(x, { axis: 1, ddof }), want.shape, want.v.map(Math.sqrt), 1e-5);
      }
      expectTensor(nx.variance(x), [], [variance(DATA)], 1e-5);
      expect(nx.std(x, { axis: [0, 2], keepDims: true }).shape).toEqual([1, 3, 1]);
    });
  });

  it('mean of int32 is float32; sum of int32 stays int32; sum of bool counts', () => {
    nx.scope(() => {
      const i = nx.fromArray([1, 2], { dtype: 'int32' });
      expect(nx.mean(i).dtype).toBe('float32');
      expectTensor(nx.mean(i), [], [1.5]);
      expect(nx.sum(i).dtype).toBe('int32');
      const b = nx.fromArray([true, false, true]);
      expectTensor(nx.sum(b), [], [2]);
    });
  });

  it('argmax and argmin: flattened by default, per axis, first index on ties', () => {
    nx.scope(() => {
      const x = nx.fromArray([[1, 9, 9], [7, 0, 0]]);
      expectTensor(nx.argmax(x), [], [1]);
      expectTensor(nx.argmin(x), [], [4]);
      expectTensor(nx.argmax(x, { axis: 1 }), [2], [1, 0]);
      expectTensor(nx.argmin(x, { axis: 1 }), [2], [0, 1]);
      expectTensor(nx.argmax(x, { axis: 0 }), [3], [1, 0, 0]);
      expect(nx.argmax(x, { axis: 1, keepDims: true }).shape).toEqual([2, 1]);
      expect(nx.argmax(x, { keepDims: true }).shape).toEqual([1, 1]);
      expect(nx.argmax(x).dtype).toBe('int32');
    });
    expect(() => nx.argmax(nx.scope(() => nx.zeros([0])))).toThrow(/argmax: attempt to take argmax of an empty tensor/);
  });

  it('all and any over axes', () => {
    nx.scope(() => {
      const b = nx.fromArray([[true, false], [true, true]]);
      expect(values(nx.all(b, { axis: 1 }))).toEqual([0, 1]);
      expect(values(nx.any(b, { axis: 0 }))).toEqual([1, 1]);
      expect(values(nx.all(b))).toEqual([0]);
      expect(values(nx.any(nx.fromArray([0, 0, 2])))).toEqual([1]);
    });
  });

  it('cumsum: flattened, per axis, exclusive, reverse', () => {
    nx.scope(() => {
      const x = nx.fromArray([[1, 2, 3], [4, 5, 6]]);
      expectTensor(nx.cumsum(x), [6], [1, 3, 6, 10, 15, 21]);
      expectTensor(nx.cumsum(x, { axis: 1 }), [2, 3], [1, 3, 6, 4, 9, 15]);
      expectTensor(nx.cumsum(x, { axis: 0 }), [2, 3], [1, 2, 3, 5, 7, 9]);
      expectTensor(nx.cumsum(x, { axis: 1, exclusive: true }), [2, 3], [0, 1, 3, 0, 4, 9]);
      expectTensor(nx.cumsum(x, { axis: 1, reverse: true }), [2, 3], [6, 5, 3, 15, 11, 6]);
      const i = nx.cumsum(nx.fromArray([1, 2, 3], { dtype: 'int32' }));
      expect(i.dtype).toBe('int32');
      expectTensor(i, [3], [1, 3, 6]);
    });
  });

  it('bad axes are errors naming the op, the axis and the rank', () => {
    const x = nx.zeros([2, 3]);
    expect(() => nx.sum(x, { axis: 2 })).toThrow(nx.ValueError);
    expect(() => nx.sum(x, { axis: 2 })).toThrow(/nx\.sum: axis 2 is out of range for a tensor of rank 2/);
    expect(() => nx.mean(x, { axis: [0, -2] })).toThrow(/nx\.mean: repeated axis/);
    expect(() => nx.argmax(x, { axis: -3 })).toThrow(/nx\.argmax: axis -3/);
    nx.dispose(x);
  });
});
