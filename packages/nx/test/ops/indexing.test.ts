import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as nx from '@raven/nx';
import { expectTensor, sizeOf, stridesOf, values } from '../_helpers.js';

const seq = (shape: number[]) => nx.reshape(nx.arange(0, sizeOf(shape), 1, 'float32'), shape);

/** Python's `list(range(n))[start:stop:step]`, written from the language reference. */
function pyRange(n: number, start: number | null, stop: number | null, step: number | null): number[] {
  const st = step ?? 1;
  const norm = (v: number | null, dflt: number): number => {
    if (v === null) return dflt;
    let w = v < 0 ? v + n : v;
    if (st > 0) w = Math.min(Math.max(w, 0), n);
    else w = Math.min(Math.max(w, -1), n - 1);
    return w;
  };
  const a = norm(start, st > 0 ? 0 : n - 1);
  const b = norm(stop, st > 0 ? n : -1);
  const out: number[] = [];
  for (let i = a; st > 0 ? i < b : i > b; i += st) out.push(i);
  return out;
}

type Entry = number | null | [number | null, number | null, number | null] | 'newaxis' | '...';

/** Reference basic indexing over row-major data: expands the spec, enumerates index tuples. */
function sliceRef(data: number[], shape: number[], spec: Entry[]): { shape: number[]; v: number[] } {
  const consuming = spec.filter((e) => e !== 'newaxis' && e !== '...').length;
  const at = spec.indexOf('...');
  const fill: Entry[] = Array(shape.length - consuming).fill(null);
  const full = at < 0 ? [...spec, ...fill] : [...spec.slice(0, at), ...fill, ...spec.slice(at + 1)];
  const perAxis: number[][] = [];
  const outShape: number[] = [];
  let axis = 0;
  for (const e of full) {
    if (e === 'newaxis') { outShape.push(1); continue; }
    const n = shape[axis]!;
    if (typeof e === 'number') perAxis.push([e < 0 ? e + n : e]);
    else {
      const r = e === null || e === '...' ? pyRange(n, null, null, null) : pyRange(n, e[0], e[1], e[2]);
      perAxis.push(r);
      outShape.push(r.length);
    }
    axis++;
  }
  const st = stridesOf(shape);
  const v: number[] = [];
  const walk = (a: number, off: number): void => {
    if (a === perAxis.length) { v.push(data[off]!); return; }
    for (const i of perAxis[a]!) walk(a + 1, off + i * st[a]!);
  };
  walk(0, 0);
  return { shape: outShape, v };
}

describe('slice', () => {
  it('Python range semantics on hand-checked cases', () => {
    expect(pyRange(10, 8, 2, -3)).toEqual([8, 5]);
    expect(pyRange(5, null, null, -1)).toEqual([4, 3, 2, 1, 0]);
    expect(pyRange(10, -100, 100, null)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(pyRange(10, -3, null, -1)).toEqual([7, 6, 5, 4, 3, 2, 1, 0]);
    expect(pyRange(10, 5, -6, -1)).toEqual([5]);
    nx.scope(() => {
      const x = nx.arange(10, undefined, 1, 'float32');
      expectTensor(nx.slice(x, [[8, 2, -3]]), [2], [8, 5]);
      expectTensor(nx.slice(x, [[null, null, -1]]), [10], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
      expectTensor(nx.slice(x, [[-100, 100]]), [10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expectTensor(nx.slice(x, [[-3, null, -1]]), [8], [7, 6, 5, 4, 3, 2, 1, 0]);
      expectTensor(nx.slice(x, [[5, -6, -1]]), [1], [5]);
      expectTensor(nx.slice(x, [[1, null, 4]]), [3], [1, 5, 9]);
      expect(nx.slice(x, [[5, 2]]).shape).toEqual([0]);
      expectTensor(nx.slice(x, [-1]), [], [9]);
    });
  });

  it('the doc examples: integers, ranges, null, newaxis and ellipsis', () => {
    nx.scope(() => {
      const x = seq([2, 3, 4]);
      expectTensor(nx.slice(x, [1]), [3, 4], Array.from({ length: 12 }, (_, k) => 12 + k));
      const r = nx.slice(x, [null, [null, null, -1]]);
      expect(r.shape).toEqual([2, 3, 4]);
      expect(values(r).slice(0, 4)).toEqual([8, 9, 10, 11]);
      expectTensor(nx.slice(x, ['...', [1, null, 2]]), [2, 3, 2], [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23]);
      expectTensor(nx.slice(x, [0, 'newaxis', -1]), [1, 4], [8, 9, 10, 11]);
      expectTensor(nx.slice(x, ['...', 0]), [2, 3], [0, 4, 8, 12, 16, 20]);
      expect(nx.slice(x, ['newaxis', '...', 'newaxis']).shape).toEqual([1, 2, 3, 4, 1]);
      expect(nx.slice(x, []).shape).toEqual([2, 3, 4]);
    });
  });

  it('matches the reference for random specs on random shapes (property)', () => {
    const bound = fc.option(fc.integer({ min: -6, max: 6 }), { nil: null });
    const step = fc.option(fc.integer({ min: -3, max: 3 }).filter((s) => s !== 0), { nil: null });
    const gen = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }).chain((shape) => {
      const entryFor = (n: number) =>
        fc.oneof(
          fc.integer({ min: -n, max: n - 1 }),
          fc.constant(null),
          fc.tuple(bound, bound, step),
        );
      return fc.tuple(
        fc.constant(shape),
        fc.tuple(...shape.map(entryFor)).chain((entries) =>
          fc.tuple(fc.integer({ min: 0, max: entries.length }), fc.integer({ min: 0, max: 3 }), fc.boolean()).map(([keep, newAt, ellipsis]) => {
            let spec: Entry[] = (entries as Entry[]).slice(0, keep);
            if (newAt <= spec.length) spec = [...spec.slice(0, newAt), 'newaxis', ...spec.slice(newAt)];
            if (ellipsis) spec = [...spec.slice(0, 1), '...', ...spec.slice(1)];
            return spec;
          }),
        ),
      );
    });
    fc.assert(
      fc.property(gen, ([shape, spec]) => {
        const data = Array.from({ length: sizeOf(shape) }, (_, k) => k);
        const want = sliceRef(data, shape, spec);
        nx.scope(() => {
          const got = nx.slice(nx.fromArray(data, { shape }), spec);
          expect(got.shape).toEqual(want.shape);
          expect(values(got)).toEqual(want.v);
        });
      }),
      { numRuns: 150, seed: 11 },
    );
  });

  it('works for int32 and bool tensors', () => {
    nx.scope(() => {
      const i = nx.reshape(nx.arange(12), [3, 4]);
      const ri = nx.slice(i, [[null, null, -2], [3, 0, -2]]);
      expect(ri.dtype).toBe('int32');
      expectTensor(ri, [2, 2], [11, 9, 3, 1]);
      const b = nx.greater(i, 5);
      const rb = nx.slice(b, [[null, null, -1], [null, null, 3]]);
      expect(rb.dtype).toBe('bool');
      expect(values(rb)).toEqual([1, 1, 0, 1, 0, 0]);
    });
  });

  it('errors name the op, the bad index, the axis length and the shape', () => {
    const x = nx.zeros([2, 3]);
    expect(() => nx.slice(x, [0, 3])).toThrow(nx.IndexError);
    expect(() => nx.slice(x, [0, 3])).toThrow(/nx\.slice: index 3 is out of bounds for axis 1 with length 3 \(x shape \[2, 3\]/);
    expect(() => nx.slice(x, [-3])).toThrow(/index -3 is out of bounds for axis 0 with length 2/);
    expect(() => nx.slice(x, [0, 0, 0])).toThrow(/too many indices: spec \[0, 0, 0\] indexes 3 axes but x has shape \[2, 3\]/);
    expect(() => nx.slice(x, ['...', 0, '...'])).toThrow(/more than one '\.\.\.'/);
    expect(() => nx.slice(x, [[0, 2, 0]])).toThrow(/step must not be 0/);
    expect(() => nx.slice(x, [1.5])).toThrow(/must be an integer/);
    expect(() => nx.slice(x, ['foo' as unknown as 'newaxis'])).toThrow(/entry 'foo'/);
    nx.dispose(x);
  });
});

describe('take, gather, takeAlongAxis, oneHot', () => {
  it('take is NumPy take: flattened by default, along an axis, negative indices wrap', () => {
    nx.scope(() => {
      const x = seq([3, 4]);
      expectTensor(nx.take(x, [0, 5, -1]), [3], [0, 5, 11]);
      expectTensor(nx.take(x, [2, 0], { axis: 0 }), [2, 4], [8, 9, 10, 11, 0, 1, 2, 3]);
      expectTensor(nx.take(x, [[0, -1], [1, 1]], { axis: 1 }), [3, 2, 2], [0, 3, 1, 1, 4, 7, 5, 5, 8, 11, 9, 9]);
      expectTensor(nx.take(x, 1, { axis: 1 }), [3], [1, 5, 9]);
      const idx = nx.fromArray([3, -4], { dtype: 'int32' });
      expectTensor(nx.take(x, idx, { axis: -1 }), [3, 2], [3, 0, 7, 4, 11, 8]);
      const b = nx.take(nx.fromArray([true, false, true]), [2, 1]);
      expect(b.dtype).toBe('bool');
      expect(values(b)).toEqual([1, 0]);
    });
  });

  it('take refuses out-of-range and non-int32 indices with the value and the shape', () => {
    const x = nx.zeros([3, 4]);
    expect(() => nx.take(x, [4], { axis: 1 })).toThrow(nx.IndexError);
    expect(() => nx.take(x, [4], { axis: 1 })).toThrow(/nx\.take: index 4 is out of bounds for axis 1 with length 4 \(x shape \[3, 4\]\)/);
    expect(() => nx.take(x, [-13])).toThrow(/index -13 is out of bounds for axis 0 with length 12/);
    const fidx = nx.fromArray([0, 1]);
    expect(() => nx.take(x, fidx)).toThrow(nx.DTypeError);
    expect(() => nx.take(x, fidx)).toThrow(/take: indices have dtype float32; expected int32/);
    nx.dispose([x, fidx]);
  });

  it('gather defaults to axis 0 (TF semantics)', () => {
    nx.scope(() => {
      const x = seq([3, 2]);
      expectTensor(nx.gather(x, [2, 0]), [2, 2], [4, 5, 0, 1]);
      expectTensor(nx.gather(x, [1], { axis: 1 }), [3, 1], [1, 3, 5]);
      expect(() => nx.gather(x, [3])).toThrow(/nx\.gather: index 3 is out of bounds for axis 0 with length 3/);
    });
  });

  it('takeAlongAxis picks per row, broadcasting the other axes (NumPy take_along_axis)', () => {
    nx.scope(() => {
      const x = nx.fromArray([[10, 30, 20], [60, 40, 50]]);
      const i = nx.fromArray([[1, 0], [2, -1]], { dtype: 'int32' });
      expectTensor(nx.takeAlongAxis(x, i, 1), [2, 2], [30, 10, 50, 50]);
      // axis 0 with an index row broadcast over the columns
      expectTensor(nx.takeAlongAxis(x, nx.fromArray([[1], [0]], { dtype: 'int32' }), 0), [2, 3], [60, 40, 50, 10, 30, 20]);
      // 3-d, middle axis: out[a, j, c] = x[a, idx[a, j, c], c]
      const y = seq([2, 3, 2]);
      const idx = nx.fromArray([[[2, 0]], [[1, 1]]], { dtype: 'int32' });
      expectTensor(nx.takeAlongAxis(y, idx, 1), [2, 1, 2], [4, 1, 8, 9]);
      // argmax then takeAlongAxis gives the max
      const m = nx.takeAlongAxis(x, nx.argmax(x, { axis: 1, keepDims: true }), 1);
      expectTensor(m, [2, 1], [30, 60]);
      expect(() => nx.takeAlongAxis(x, nx.fromArray([1], { dtype: 'int32' }), 1)).toThrow(/takeAlongAxis: x \[2, 3\] and indices \[1\] must have the same rank/);
      expect(() => nx.takeAlongAxis(x, nx.fromArray([[3]], { dtype: 'int32' }), 1)).toThrow(/index 3 is out of bounds for axis 1 with length 3/);
      expect(() => nx.takeAlongAxis(x, nx.zeros([3, 1], 'int32'), 1)).toThrow(/do not broadcast off axis 1/);
    });
  });

  it('oneHot: rows of zeros for out-of-range indices; dtype option', () => {
    nx.scope(() => {
      expectTensor(nx.oneHot([0, 2], 3), [2, 3], [1, 0, 0, 0, 0, 1]);
      const o = nx.oneHot(nx.fromArray([[1], [5]], { dtype: 'int32' }), 2, { dtype: 'int32' });
      expect([o.shape, o.dtype]).toEqual([[2, 1, 2], 'int32']);
      expect(values(o)).toEqual([0, 1, 0, 0]);
      expect(values(nx.oneHot([-1], 2))).toEqual([0, 0]);
      expect(nx.oneHot([1], 2, { dtype: 'bool' }).dtype).toBe('bool');
      expect(() => nx.oneHot([1], 0)).toThrow(/oneHot: depth must be a positive integer, got 0/);
    });
  });
});
