import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as nx from '@raven/nx';
import { expectTensor, sizeOf, stridesOf, unravel, values } from '../_helpers.js';

const seq = (shape: number[], dtype: nx.DType = 'float32') => nx.reshape(nx.arange(0, sizeOf(shape), 1, dtype), shape);

/** Reference transpose: out[idx] = x[idx permuted back]. */
function transposeRef(data: number[], shape: number[], perm: number[]): number[] {
  const outShape = perm.map((p) => shape[p]!);
  const st = stridesOf(shape);
  return Array.from({ length: data.length }, (_, k) => {
    const idx = unravel(k, outShape);
    return data[idx.reduce((acc, v, i) => acc + v * st[perm[i]!]!, 0)]!;
  });
}

describe('shape ops', () => {
  it('reshape infers one -1 and refuses size mismatches naming both shapes', () => {
    nx.scope(() => {
      const x = seq([2, 3, 4]);
      expect(nx.reshape(x, [4, -1]).shape).toEqual([4, 6]);
      expect(nx.reshape(x, [-1]).shape).toEqual([24]);
      expect(values(nx.reshape(x, [6, 4]))).toEqual(values(x));
      expect(() => nx.reshape(x, [5, -1])).toThrow(/nx\.reshape: cannot reshape \[2, 3, 4\] \(24 elements\) into \[5, -1\]/);
      expect(() => nx.reshape(x, [-1, -1])).toThrow(nx.ShapeError);
      expect(() => nx.reshape(x, [2, 2, 2])).toThrow(/into \[2, 2, 2\]/);
    });
  });

  it('reshape round trips for random shapes (property)', () => {
    const shape = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(shape, fc.integer({ min: 0, max: 3 }), (s, cut) => {
        nx.scope(() => {
          const x = seq(s);
          const n = sizeOf(s);
          const c = Math.min(cut, s.length);
          const mid = nx.reshape(x, [sizeOf(s.slice(0, c)), -1]);
          expect(mid.shape).toEqual([sizeOf(s.slice(0, c)), n / sizeOf(s.slice(0, c))]);
          const back = nx.reshape(mid, s);
          expect(back.shape).toEqual(s);
          expect(values(back)).toEqual(values(x));
        });
      }),
      { numRuns: 40, seed: 3 },
    );
  });

  it('transpose matches a reference permutation; twice with the inverse is the identity (property)', () => {
    const shapeAndPerm = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }).chain((s) =>
      fc.tuple(fc.constant(s), fc.shuffledSubarray(s.map((_, i) => i), { minLength: s.length, maxLength: s.length })),
    );
    fc.assert(
      fc.property(shapeAndPerm, ([s, perm]) => {
        nx.scope(() => {
          const x = seq(s);
          const t = nx.transpose(x, perm);
          expect(t.shape).toEqual(perm.map((p) => s[p]!));
          expect(values(t)).toEqual(transposeRef(values(x), s, perm));
          const inv = perm.map((_, i) => perm.indexOf(i));
          expect(values(nx.transpose(t, inv))).toEqual(values(x));
          // the default reverses the axes; reversing twice is the identity
          expect(values(nx.transpose(nx.transpose(x)))).toEqual(values(x));
        });
      }),
      { numRuns: 40, seed: 5 },
    );
  });

  it('permute, swapAxes, squeeze, expandDims', () => {
    nx.scope(() => {
      const x = seq([2, 1, 3]);
      expect(nx.permute(x, [2, 0, 1]).shape).toEqual([3, 2, 1]);
      const s = nx.swapAxes(x, 0, -1);
      expect(s.shape).toEqual([3, 1, 2]);
      expect(values(s)).toEqual(transposeRef(values(x), [2, 1, 3], [2, 1, 0]));
      expect(nx.squeeze(x).shape).toEqual([2, 3]);
      expect(nx.squeeze(x, 1).shape).toEqual([2, 3]);
      expect(() => nx.squeeze(x, 0)).toThrow(/squeeze: axis 0 of \[2, 1, 3\] has length 2, not 1/);
      expect(nx.expandDims(x, 0).shape).toEqual([1, 2, 1, 3]);
      expect(nx.expandDims(x, -1).shape).toEqual([2, 1, 3, 1]);
      expect(() => nx.transpose(x, [0, 0, 1])).toThrow(/transpose: perm \[0, 0, 1\] is not a permutation/);
    });
  });

  it('concatenate and stack; mismatches name the shapes', () => {
    nx.scope(() => {
      const a = nx.fromArray([[1, 2], [3, 4]]);
      const b = nx.fromArray([[5, 6]]);
      expectTensor(nx.concatenate([a, b]), [3, 2], [1, 2, 3, 4, 5, 6]);
      expectTensor(nx.concatenate([a, a], 1), [2, 4], [1, 2, 1, 2, 3, 4, 3, 4]);
      expectTensor(nx.stack([a, a], 1), [2, 2, 2], [1, 2, 1, 2, 3, 4, 3, 4]);
      expect(nx.stack([a, a], -1).shape).toEqual([2, 2, 2]);
      expect(() => nx.concatenate([a, b], 1)).toThrow(/concatenate: shapes \[2, 2\], \[1, 2\] differ off axis 1/);
      expect(() => nx.stack([a, b])).toThrow(/stack: all shapes must be equal, got \[2, 2\], \[1, 2\]/);
      expect(() => nx.concatenate([a, nx.cast(a, 'int32')])).toThrow(/concatenate: dtypes differ \(float32, int32\)/);
      expect(() => nx.concatenate([])).toThrow(/concatenate: needs at least one tensor/);
    });
  });

  it('split into equal parts or given sizes', () => {
    nx.scope(() => {
      const x = seq([2, 6]);
      const parts = nx.split(x, 3, 1);
      expect(parts.map((p) => p.shape)).toEqual([[2, 2], [2, 2], [2, 2]]);
      expect(values(parts[1]!)).toEqual([2, 3, 8, 9]);
      const sized = nx.split(x, [1, 5], 1);
      expect(values(sized[0]!)).toEqual([0, 6]);
      expect(() => nx.split(x, 4, 1)).toThrow(/split: axis 1 of \[2, 6\] \(length 6\) cannot be split into 4 equal parts/);
      expect(() => nx.split(x, [2, 2], 1)).toThrow(/sizes \[2, 2\] do not add up to 6/);
    });
  });

  it('pad with constants, reflect and symmetric modes (NumPy semantics)', () => {
    nx.scope(() => {
      const x = nx.fromArray([1, 2, 3]);
      expectTensor(nx.pad(x, [[1, 2]]), [6], [0, 1, 2, 3, 0, 0]);
      expectTensor(nx.pad(x, [[1, 1]], 9), [5], [9, 1, 2, 3, 9]);
      expectTensor(nx.pad(x, [[2, 2]], 0, 'reflect'), [7], [3, 2, 1, 2, 3, 2, 1]);
      expectTensor(nx.pad(x, [[2, 2]], 0, 'symmetric'), [7], [2, 1, 1, 2, 3, 3, 2]);
      const m = nx.fromArray([[1, 2], [3, 4]]);
      expectTensor(nx.pad(m, [1, 0]), [3, 3], [0, 0, 0, 0, 1, 2, 0, 3, 4]);
      expect(() => nx.pad(m, [[1, 1]])).toThrow(/pad: 1 pad widths for a tensor of rank 2/);
    });
  });

  it('tile, flip and broadcastTo', () => {
    nx.scope(() => {
      const x = nx.fromArray([[1, 2], [3, 4]]);
      expectTensor(nx.tile(x, [1, 2]), [2, 4], [1, 2, 1, 2, 3, 4, 3, 4]);
      expectTensor(nx.tile(nx.fromArray([1, 2]), [2, 2]), [2, 4], [1, 2, 1, 2, 1, 2, 1, 2]);
      expectTensor(nx.tile(x, [2]), [2, 4], [1, 2, 1, 2, 3, 4, 3, 4]);
      expectTensor(nx.flip(x), [2, 2], [4, 3, 2, 1]);
      expectTensor(nx.flip(x, 1), [2, 2], [2, 1, 4, 3]);
      const bx = nx.flip(nx.fromArray([[true, false, false], [false, true, true]]), 1);
      expect(values(bx)).toEqual([0, 0, 1, 1, 1, 0]);
      expectTensor(nx.broadcastTo(nx.fromArray([1, 2]), [3, 2]), [3, 2], [1, 2, 1, 2, 1, 2]);
      expect(() => nx.broadcastTo(nx.fromArray([1, 2, 3]), [3, 2])).toThrow(nx.ShapeError);
      expect(() => nx.broadcastTo(nx.zeros([2, 3]), [3])).toThrow(/broadcastTo: \[2, 3\] cannot be broadcast to \[3\]/);
    });
  });
});
