import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as nx from '@raven/nx';
import { broadcastRead, broadcastShape, expectTensor, sizeOf, unravel, values } from '../_helpers.js';

const f = (data: number[], shape?: number[]) => nx.fromArray(data, shape ? { shape } : {});
const i32 = (data: number[], shape?: number[]) => nx.fromArray(data, { dtype: 'int32', ...(shape ? { shape } : {}) });

describe('arithmetic with broadcasting', () => {
  it('adds, subtracts, multiplies, divides with NumPy broadcasting', () => {
    nx.scope(() => {
      const a = f([1, 2, 3, 4, 5, 6], [2, 3]);
      const row = f([10, 20, 30]);
      const col = f([100, 200], [2, 1]);
      expectTensor(nx.add(a, row), [2, 3], [11, 22, 33, 14, 25, 36]);
      expectTensor(nx.sub(a, col), [2, 3], [-99, -98, -97, -196, -195, -194]);
      expectTensor(nx.mul(col, row), [2, 3], [1000, 2000, 3000, 2000, 4000, 6000]);
      expectTensor(nx.div(a, 2), [2, 3], [0.5, 1, 1.5, 2, 2.5, 3]);
      expectTensor(nx.add(1, a), [2, 3], [2, 3, 4, 5, 6, 7]);
    });
  });

  it('promotes dtypes: int32 stays int32, int32 with float32 is float32, div is always float32', () => {
    nx.scope(() => {
      const i = i32([1, 2, 3]);
      expect(nx.add(i, 1).dtype).toBe('int32');
      expect(nx.add(i, 1.5).dtype).toBe('float32');
      expectTensor(nx.add(i, 1.5), [3], [2.5, 3.5, 4.5]);
      expect(nx.mul(i, f([1, 1, 1])).dtype).toBe('float32');
      const d = nx.div(i, i32([2, 2, 2]));
      expect(d.dtype).toBe('float32');
      expectTensor(d, [3], [0.5, 1, 1.5]);
    });
  });

  it('floorDiv and mod follow Python/NumPy signs (floor, sign of the divisor)', () => {
    nx.scope(() => {
      const xs = [7, -7, 7, -7, 7.5, -7.5];
      const ys = [2, 2, -2, -2, 2, 2];
      const pyFloorDiv = xs.map((x, k) => Math.floor(x / ys[k]!));
      const pyMod = xs.map((x, k) => x - ys[k]! * Math.floor(x / ys[k]!));
      const fd = nx.floorDiv(f(xs), f(ys));
      expect(fd.dtype).toBe('float32');
      expectTensor(fd, [6], pyFloorDiv);
      expectTensor(nx.mod(f(xs), f(ys)), [6], pyMod);
      const ix = [7, -7, 7, -7];
      const iy = [2, 2, -2, -2];
      const ifd = nx.floorDiv(i32(ix), i32(iy));
      expect(ifd.dtype).toBe('int32');
      expectTensor(ifd, [4], ix.map((x, k) => Math.floor(x / iy[k]!)));
      expectTensor(nx.mod(i32(ix), i32(iy)), [4], ix.map((x, k) => x - iy[k]! * Math.floor(x / iy[k]!)));
    });
  });

  it('pow, maximum, minimum, atan2, squaredDifference', () => {
    nx.scope(() => {
      const a = f([1, 2, 3]);
      const b = f([3, 2, 1]);
      expectTensor(nx.pow(a, 2), [3], [1, 4, 9]);
      expectTensor(nx.pow(f([4, 9]), 0.5), [2], [2, 3]);
      expectTensor(nx.maximum(a, b), [3], [3, 2, 3]);
      expectTensor(nx.minimum(a, b), [3], [1, 2, 1]);
      expectTensor(nx.atan2(f([1, -1, 0]), f([0, 0, -1])), [3], [Math.PI / 2, -Math.PI / 2, Math.PI]);
      expectTensor(nx.squaredDifference(a, b), [3], [4, 0, 4]);
    });
  });

  it('matches a JS reference of NumPy broadcasting for random compatible shapes (property)', () => {
    // Shapes are drawn as an output shape, then each operand drops some leading axes and sets
    // some axes to 1 - every NumPy-compatible pair arises this way.
    const dims = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 });
    const operand = (out: number[]) =>
      fc.tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length })).map(([drop, ones]) =>
        out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)),
      );
    const ops: Array<[string, (a: nx.Tensor, b: nx.Tensor) => nx.Tensor, (x: number, y: number) => number]> = [
      ['add', nx.add, (x, y) => x + y],
      ['sub', nx.sub, (x, y) => x - y],
      ['mul', nx.mul, (x, y) => x * y],
      ['maximum', nx.maximum, Math.max],
    ];
    fc.assert(
      fc.property(dims.chain((out) => fc.tuple(operand(out), operand(out), fc.integer({ min: 0, max: 3 }))), ([sa, sb, which]) => {
        const [, op, ref] = ops[which]!;
        const da = Array.from({ length: sizeOf(sa) }, (_, k) => k - 3);
        const db = Array.from({ length: sizeOf(sb) }, (_, k) => 2 * k + 1);
        const out = broadcastShape(sa, sb)!;
        const got = nx.scope(() => {
          const r = op(nx.fromArray(da, { shape: sa }), nx.fromArray(db, { shape: sb }));
          return { shape: r.shape, v: values(r) };
        });
        expect(got.shape).toEqual(out);
        const want = Array.from({ length: sizeOf(out) }, (_, k) => {
          const idx = unravel(k, out);
          return ref(broadcastRead(da, sa, idx), broadcastRead(db, sb, idx));
        });
        expect(got.v).toEqual(want);
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it('refuses shapes that do not broadcast, naming the op and both shapes', () => {
    nx.scope(() => {
      const a = nx.zeros([2, 3]);
      const b = nx.zeros([4]);
      expect(() => nx.add(a, b)).toThrow(nx.ShapeError);
      expect(() => nx.add(a, b)).toThrow(/nx\.add: shapes \[2, 3\] and \[4\] cannot be broadcast/);
      expect(() => nx.mul(nx.zeros([3, 1, 5]), nx.zeros([2, 4]))).toThrow(/nx\.mul: shapes \[3, 1, 5\] and \[2, 4\]/);
    });
  });
});

describe('unary math', () => {
  it('agrees with Math.* on sample points', () => {
    const xs = [-2, -0.5, 0.25, 1, 3];
    const pos = [0.25, 1, 2, 9];
    const cases: Array<[string, (t: nx.Tensor) => nx.Tensor, (v: number) => number, number[]]> = [
      ['neg', nx.neg, (v) => -v, xs],
      ['abs', nx.abs, Math.abs, xs],
      ['sign', nx.sign, Math.sign, xs],
      ['exp', nx.exp, Math.exp, xs],
      ['expm1', nx.expm1, Math.expm1, xs],
      ['log', nx.log, Math.log, pos],
      ['log1p', nx.log1p, Math.log1p, pos],
      ['sqrt', nx.sqrt, Math.sqrt, pos],
      ['rsqrt', nx.rsqrt, (v) => 1 / Math.sqrt(v), pos],
      ['reciprocal', nx.reciprocal, (v) => 1 / v, pos],
      ['square', nx.square, (v) => v * v, xs],
      ['sin', nx.sin, Math.sin, xs],
      ['cos', nx.cos, Math.cos, xs],
      ['tan', nx.tan, Math.tan, [-1, 0, 0.5, 1]],
      ['tanh', nx.tanh, Math.tanh, xs],
      ['sigmoid', nx.sigmoid, (v) => 1 / (1 + Math.exp(-v)), xs],
      ['relu', nx.relu, (v) => Math.max(v, 0), xs],
      ['softplus', nx.softplus, (v) => Math.log1p(Math.exp(v)), xs],
      ['floor', nx.floor, Math.floor, xs],
      ['ceil', nx.ceil, Math.ceil, xs],
    ];
    nx.scope(() => {
      for (const [name, op, ref, pts] of cases) {
        const got = values(op(nx.fromArray(pts)));
        got.forEach((g, k) => expect(Math.abs(g - ref(pts[k]!)), `${name}(${pts[k]})`).toBeLessThan(1e-5 * Math.max(1, Math.abs(ref(pts[k]!)))));
      }
    });
  });

  it('erf matches a series expansion; round is half-to-even as NumPy', () => {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    const erfSeries = (x: number): number => {
      let sum = 0;
      let term = x;
      for (let n = 0; n < 40; n++) {
        sum += term / (2 * n + 1);
        term *= (-x * x) / (n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    nx.scope(() => {
      const xs = [-1.5, -0.3, 0, 0.7, 2];
      expectTensor(nx.erf(nx.fromArray(xs)), [5], xs.map(erfSeries), 1e-5);
      expectTensor(nx.round(nx.fromArray([0.5, 1.5, 2.5, -0.5, -1.5, 2.4])), [6], [0, 2, 2, -0, -2, 2]);
    });
  });

  it('float-only functions accept int32 input and give float32', () => {
    nx.scope(() => {
      const e = nx.exp(nx.fromArray([0, 1], { dtype: 'int32' }));
      expect(e.dtype).toBe('float32');
      expectTensor(e, [2], [1, Math.E]);
    });
  });

  it('cast converts between compute dtypes, truncating floats toward zero', () => {
    nx.scope(() => {
      const x = nx.fromArray([-1.7, -0.2, 0, 2.9]);
      const i = nx.cast(x, 'int32');
      expect(i.dtype).toBe('int32');
      expectTensor(i, [4], [-1, 0, 0, 2]);
      expectTensor(nx.cast(x, 'bool'), [4], [1, 1, 0, 1]);
      expectTensor(nx.cast(nx.fromArray([true, false]), 'float32'), [2], [1, 0]);
    });
    expect(() => nx.cast(nx.scope(() => nx.zeros([1])), 'float16' as nx.DType)).toThrow(/cast: dtype float16 is not a compute dtype/);
  });
});

describe('comparisons, logical ops, where, clip', () => {
  it('compares elementwise with broadcasting and gives bool', () => {
    nx.scope(() => {
      const a = nx.fromArray([[1, 2, 3], [4, 5, 6]]);
      const t = nx.fromArray([2, 5, 3]);
      const checks: Array<[(x: nx.Tensor, y: nx.Tensor) => nx.Tensor, (x: number, y: number) => boolean]> = [
        [nx.equal, (x, y) => x === y],
        [nx.notEqual, (x, y) => x !== y],
        [nx.less, (x, y) => x < y],
        [nx.lessEqual, (x, y) => x <= y],
        [nx.greater, (x, y) => x > y],
        [nx.greaterEqual, (x, y) => x >= y],
      ];
      const av = [1, 2, 3, 4, 5, 6];
      const tv = [2, 5, 3];
      for (const [op, ref] of checks) {
        const r = op(a, t);
        expect(r.dtype).toBe('bool');
        expect(r.shape).toEqual([2, 3]);
        expect(values(r)).toEqual(av.map((v, k) => (ref(v, tv[k % 3]!) ? 1 : 0)));
      }
      // int32 against a fractional number compares in float, not after truncating 2.5 to 2
      expect(values(nx.less(nx.fromArray([2, 3], { dtype: 'int32' }), 2.5))).toEqual([1, 0]);
    });
  });

  it('logical ops work on bool and refuse other dtypes, naming the dtype', () => {
    nx.scope(() => {
      const p = nx.fromArray([true, true, false, false]);
      const q = nx.fromArray([true, false, true, false]);
      expect(values(nx.logicalAnd(p, q))).toEqual([1, 0, 0, 0]);
      expect(values(nx.logicalOr(p, q))).toEqual([1, 1, 1, 0]);
      expect(values(nx.logicalXor(p, q))).toEqual([0, 1, 1, 0]);
      expect(values(nx.logicalNot(p))).toEqual([0, 0, 1, 1]);
      expect(values(nx.logicalAnd(p, true))).toEqual([1, 1, 0, 0]);
      expect(() => nx.logicalAnd(nx.zeros([4]), q)).toThrow(nx.DTypeError);
      expect(() => nx.logicalAnd(nx.zeros([4]), q)).toThrow(/logicalAnd: x has dtype float32; expected bool/);
    });
  });

  it('isNaN, isInf, isFinite', () => {
    nx.scope(() => {
      const x = nx.fromArray([0, NaN, Infinity, -Infinity, -3]);
      expect(values(nx.isNaN(x))).toEqual([0, 1, 0, 0, 0]);
      expect(values(nx.isInf(x))).toEqual([0, 0, 1, 1, 0]);
      expect(values(nx.isFinite(x))).toEqual([1, 0, 0, 0, 1]);
      const i = nx.fromArray([1, -2, 2147483647], { dtype: 'int32' });
      expect(values(nx.isNaN(i))).toEqual([0, 0, 0]);
      expect(values(nx.isFinite(i))).toEqual([1, 1, 1]);
    });
  });

  it('where picks with a broadcast condition; bool branches stay bool', () => {
    nx.scope(() => {
      const cond = nx.fromArray([[true], [false]]);
      const r = nx.where(cond, nx.fromArray([1, 2, 3]), -1);
      expectTensor(r, [2, 3], [1, 2, 3, -1, -1, -1]);
      const b = nx.where(nx.fromArray([true, false, true]), nx.fromArray([false, false, false]), nx.fromArray([true, true, true]));
      expect(b.dtype).toBe('bool');
      expect(values(b)).toEqual([0, 1, 0]);
      expect(() => nx.where(nx.zeros([3]), 1, 0)).toThrow(/where: cond has dtype float32; expected bool/);
      expect(() => nx.where(nx.fromArray([true, false]), nx.zeros([3]), 0)).toThrow(/where: shapes \[2\] and \[3\]/);
    });
  });

  it('clip clamps into [lo, hi] and refuses lo > hi', () => {
    nx.scope(() => {
      expectTensor(nx.clip(nx.fromArray([-5, 0.5, 5]), -1, 1), [3], [-1, 0.5, 1]);
      expectTensor(nx.clip(nx.fromArray([-5, 0, 5], { dtype: 'int32' }), -1, 2), [3], [-1, 0, 2]);
      expect(() => nx.clip(nx.zeros([1]), 1, 0)).toThrow(/clip: need lo <= hi, got lo 1 and hi 0/);
    });
  });
});
