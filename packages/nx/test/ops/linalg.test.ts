import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { expectTensor, lcg, randomTensor, sizeOf, stridesOf, unravel, values } from '../_helpers.js';

/** Naive matrix product of row-major [n, k] and [k, m]. */
function mm(a: number[], b: number[], n: number, k: number, m: number): number[] {
  const out = new Array<number>(n * m).fill(0);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) for (let t = 0; t < k; t++) out[i * m + j]! += a[i * k + t]! * b[t * m + j]!;
  return out;
}

/** Reference batched matmul with NumPy batch broadcasting, both operands at least 2-d. */
function bmmRef(a: number[], sa: number[], b: number[], sb: number[]): { shape: number[]; v: number[] } {
  const [n, k] = sa.slice(-2) as [number, number];
  const m = sb[sb.length - 1]!;
  const ba = sa.slice(0, -2);
  const bb = sb.slice(0, -2);
  const r = Math.max(ba.length, bb.length);
  const batch = Array.from({ length: r }, (_, i) => Math.max(ba[ba.length - r + i] ?? 1, bb[bb.length - r + i] ?? 1));
  const v: number[] = [];
  const sta = stridesOf(ba);
  const stb = stridesOf(bb);
  for (let q = 0; q < sizeOf(batch); q++) {
    const idx = unravel(q, batch);
    const pick = (bs: number[], st: number[]) => bs.reduce((acc, d, i) => acc + (d === 1 ? 0 : idx[r - bs.length + i]!) * st[i]!, 0);
    const oa = pick(ba, sta) * n * k;
    const ob = pick(bb, stb) * k * m;
    v.push(...mm(a.slice(oa, oa + n * k), b.slice(ob, ob + k * m), n, k, m));
  }
  return { shape: [...batch, n, m], v };
}

describe('matmul, dot, outer', () => {
  it('2-d product against a hand-computed result', () => {
    nx.scope(() => {
      expectTensor(nx.matmul(nx.fromArray([[1, 2], [3, 4]]), nx.fromArray([[5, 6], [7, 8]])), [2, 2], [19, 22, 43, 50]);
    });
  });

  it('broadcasts batch axes as NumPy matmul', () => {
    const cases: Array<[number[], number[]]> = [
      [[2, 3, 4], [2, 4, 5]],
      [[2, 3, 4], [4, 5]],
      [[3, 4], [2, 4, 5]],
      [[2, 1, 3, 4], [5, 4, 2]],
      [[1, 3, 4], [6, 4, 2]],
    ];
    nx.scope(() => {
      cases.forEach(([sa, sb], c) => {
        const a = lcg(c + 1)(sizeOf(sa));
        const b = lcg(c + 10)(sizeOf(sb));
        const want = bmmRef(a, sa, b, sb);
        expectTensor(nx.matmul(nx.fromArray(a, { shape: sa }), nx.fromArray(b, { shape: sb })), want.shape, want.v, 1e-4);
      });
    });
  });

  it('promotes 1-d operands and removes the added axis', () => {
    nx.scope(() => {
      const m = nx.fromArray([[1, 2, 3], [4, 5, 6]]);
      const v3 = nx.fromArray([1, 0, -1]);
      const v2 = nx.fromArray([1, 2]);
      expectTensor(nx.matmul(m, v3), [2], [-2, -2]);
      expectTensor(nx.matmul(v2, m), [3], [9, 12, 15]);
      expectTensor(nx.matmul(v3, v3), [], [2]);
      const batch = nx.reshape(nx.arange(12, undefined, 1, 'float32'), [2, 2, 3]);
      expectTensor(nx.matmul(batch, v3), [2, 2], [-2, -2, -2, -2]);
      expectTensor(nx.matmul(v2, batch), [2, 3], [6, 9, 12, 24, 27, 30]);
    });
  });

  it('int32 products stay int32; mixed int32/float32 is float32', () => {
    nx.scope(() => {
      const i = nx.fromArray([[1, 2], [3, 4]], { dtype: 'int32' });
      const r = nx.matmul(i, i);
      expect(r.dtype).toBe('int32');
      expectTensor(r, [2, 2], [7, 10, 15, 22]);
      expect(nx.matmul(i, nx.eye(2)).dtype).toBe('float32');
    });
  });

  it('dot: inner product, matrix product, N-d as NumPy (last axis of a, second-to-last of b)', () => {
    nx.scope(() => {
      expectTensor(nx.dot(nx.fromArray([1, 2, 3]), nx.fromArray([4, 5, 6])), [], [32]);
      expectTensor(nx.dot(nx.fromArray([[1, 2], [3, 4]]), nx.fromArray([1, 1])), [2], [3, 7]);
      expectTensor(nx.dot(nx.scalar(2), nx.fromArray([1, 2])), [2], [2, 4]);
      // N-d: dot(a, b)[i, j, k, m] = sum(a[i, j, :] * b[k, :, m])
      const sa = [2, 3, 4];
      const sb = [5, 4, 2];
      const a = lcg(3)(24);
      const b = lcg(4)(40);
      const want: number[] = [];
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 5; k++) for (let m = 0; m < 2; m++) {
        let s = 0;
        for (let t = 0; t < 4; t++) s += a[i * 12 + j * 4 + t]! * b[k * 8 + t * 2 + m]!;
        want.push(s);
      }
      expectTensor(nx.dot(nx.fromArray(a, { shape: sa }), nx.fromArray(b, { shape: sb })), [2, 3, 5, 2], want, 1e-4);
    });
  });

  it('outer of two vectors', () => {
    nx.scope(() => {
      expectTensor(nx.outer(nx.fromArray([1, 2]), nx.fromArray([3, 4, 5])), [2, 3], [3, 4, 5, 6, 8, 10]);
    });
  });

  it('shape errors name the op and both shapes', () => {
    const a = nx.zeros([2, 3]);
    const b = nx.zeros([4, 5]);
    const c = nx.zeros([3, 2, 3]);
    const d = nx.zeros([2, 3, 4]);
    expect(() => nx.matmul(a, b)).toThrow(nx.ShapeError);
    expect(() => nx.matmul(a, b)).toThrow(/nx\.matmul: contracted lengths differ: \[2, 3\] @ \[4, 5\] \(3 vs 4\)/);
    expect(() => nx.matmul(c, d)).toThrow(/nx\.matmul: batch axes do not broadcast: \[3, 2, 3\] @ \[2, 3, 4\]/);
    expect(() => nx.dot(nx.zeros([3]), nx.zeros([4]))).toThrow(/nx\.dot: contracted lengths differ: \[3\] \. \[4\]/);
    expect(() => nx.outer(a, a)).toThrow(/outer: expected two 1-d tensors, got \[2, 3\] and \[2, 3\]/);
    expect(() => nx.matmul(nx.fromArray([true]), nx.fromArray([true]))).toThrow(/matmul: a has dtype bool/);
    nx.dispose([a, b, c, d]);
  });

  it('a random product agrees with the reference', () => {
    nx.scope(() => {
      const a = randomTensor([7, 9], 1);
      const b = randomTensor([9, 5], 2);
      expectTensor(nx.matmul(a, b), [7, 5], mm(values(a), values(b), 7, 9, 5), 1e-4);
    });
  });
});

describe('linear', () => {
  it('is x @ w^T + b, computed by hand', () => {
    // x [2, 3], w [2, 3] (out 2, in 3), b [2]
    const x = nx.fromArray([[1, 2, 3], [4, 5, 6]]);
    const w = nx.fromArray([[1, 0, -1], [2, 1, 0]]);
    const b = nx.fromArray([10, 20]);
    // row 0: [1-3, 2+2] + b = [8, 24]; row 1: [4-6, 8+5] + b = [8, 33]
    expect(nx.toArray(nx.linear(x, w, b))).toEqual([[8, 24], [8, 33]]);
    expect(nx.toArray(nx.linear(x, w))).toEqual([[-2, 4], [-2, 13]]);
  });

  it('keeps leading axes and has the gradients of the formula', () => {
    const x = nx.random.normal(nx.random.key(1), [2, 3, 4]);
    const w = nx.random.normal(nx.random.key(2), [5, 4]);
    const b = nx.random.normal(nx.random.key(3), [5]);
    expect(nx.linear(x, w, b).shape).toEqual([2, 3, 5]);
    const r = nx.checkGrad((xx: nx.Tensor, ww: nx.Tensor, bb: nx.Tensor) => nx.sum(nx.square(nx.linear(xx, ww, bb))), [x, w, b]);
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
  });

  it('names the shapes when they do not fit', () => {
    expect(() => nx.linear(nx.ones([2, 3]), nx.ones([4, 5]))).toThrow(/\[2, 3\].*\[4, 5\]/);
    expect(() => nx.linear(nx.ones([2, 3]), nx.ones([4, 3]), nx.ones([3]))).toThrow(/bias \[3\] should be \[4\]/);
  });
});
