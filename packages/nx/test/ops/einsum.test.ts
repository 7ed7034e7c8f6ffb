import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { expectTensor, lcg, randomTensor, sizeOf, stridesOf, unravel, values } from '../_helpers.js';

/**
 * Reference einsum by brute force: loop over every assignment of every label and accumulate
 * the product into the output cell. Explicit output only, no ellipsis.
 */
function einsumRef(eq: string, ...ops: Array<{ v: number[]; shape: number[] }>): { shape: number[]; v: number[] } {
  const [lhs, rhs] = eq.split('->') as [string, string];
  const terms = lhs.split(',');
  const size = new Map<string, number>();
  terms.forEach((t, i) => [...t].forEach((c, a) => size.set(c, ops[i]!.shape[a]!)));
  const labels = [...size.keys()];
  const dims = labels.map((c) => size.get(c)!);
  const outShape = [...rhs].map((c) => size.get(c)!);
  const out = new Array<number>(sizeOf(outShape)).fill(0);
  const outSt = stridesOf(outShape);
  for (let q = 0; q < sizeOf(dims); q++) {
    const idx = unravel(q, dims);
    const val = (c: string) => idx[labels.indexOf(c)]!;
    let p = 1;
    terms.forEach((t, i) => {
      const st = stridesOf(ops[i]!.shape);
      p *= ops[i]!.v[[...t].reduce((acc, c, a) => acc + val(c) * st[a]!, 0)]!;
    });
    out[[...rhs].reduce((acc, c, a) => acc + val(c) * outSt[a]!, 0)]! += p;
  }
  return { shape: outShape, v: out };
}

const cases: Array<[string, number[][]]> = [
  ['ij,jk->ik', [[3, 4], [4, 2]]],
  ['bij,bjk->bik', [[2, 3, 4], [2, 4, 5]]],
  ['bhqd,bhkd->bhqk', [[2, 2, 3, 4], [2, 2, 5, 4]]],
  ['ij->ji', [[3, 4]]],
  ['ii->i', [[3, 3]]],
  ['ii->', [[4, 4]]],
  ['ij->', [[3, 4]]],
  ['ij->j', [[3, 4]]],
  ['i,j->ij', [[3], [4]]],
  ['i,i->', [[5], [5]]],
  ['bi,bi->b', [[3, 4], [3, 4]]],
  ['ij,ij->ij', [[2, 3], [2, 3]]],
  ['ijk,jl->ilk', [[2, 3, 4], [3, 5]]],
  ['ab,bc,cd->ad', [[2, 3], [3, 4], [4, 2]]],
  ['iij,jk->ik', [[3, 3, 2], [2, 4]]],
  ['i,jk->ijk', [[2], [3, 2]]],
];

describe('einsum', () => {
  for (const [eq, shapes] of cases) {
    it(`${eq} matches a brute-force reference`, () => {
      const data = shapes.map((s, i) => ({ v: lcg(i + 3)(sizeOf(s)), shape: s }));
      const want = einsumRef(eq, ...data);
      nx.scope(() => {
        const got = nx.einsum(eq, ...data.map((d) => nx.fromArray(d.v, { shape: d.shape })));
        expectTensor(got, want.shape, want.v, 1e-4);
      });
    });
  }

  it('implicit output: the labels that appear once, sorted', () => {
    nx.scope(() => {
      const a = randomTensor([2, 3], 1);
      const b = randomTensor([3, 4], 2);
      expect(values(nx.einsum('ij,jk', a, b))).toEqual(values(nx.einsum('ij,jk->ik', a, b)));
      expect(values(nx.einsum('ba', a))).toEqual(values(nx.transpose(a)));
      expectTensor(nx.einsum('ii', nx.eye(3)), [], [3]);
    });
  });

  it('ellipsis broadcasts leading axes', () => {
    nx.scope(() => {
      const a = randomTensor([2, 3, 4], 1);
      const b = randomTensor([4, 5], 2);
      expectTensor(nx.einsum('...ij,jk->...ik', a, b), [2, 3, 5], values(nx.matmul(a, b)), 1e-5);
      const c = randomTensor([1, 4, 2], 3);
      expectTensor(nx.einsum('...ij,...jk->...ik', a, c), [2, 3, 2], values(nx.matmul(a, c)), 1e-5);
      expect(nx.einsum('...i->...', a).shape).toEqual([2, 3]);
    });
  });

  it('int32 operands give int32', () => {
    nx.scope(() => {
      const i = nx.fromArray([[1, 2], [3, 4]], { dtype: 'int32' });
      const r = nx.einsum('ij,jk->ik', i, i);
      expect(r.dtype).toBe('int32');
      expect(values(r)).toEqual([7, 10, 15, 22]);
    });
  });

  it('clear errors for bad equations, operand counts and label lengths', () => {
    const a = nx.zeros([2, 3]);
    const b = nx.zeros([4, 5]);
    expect(() => nx.einsum('ij,jk->ik', a, b)).toThrow(nx.ShapeError);
    expect(() => nx.einsum('ij,jk->ik', a, b)).toThrow(/einsum: label 'j' has length 3 in one operand and 4 in another \(equation 'ij,jk->ik', shapes \[2, 3\], \[4, 5\]\)/);
    expect(() => nx.einsum('ij,jk->ik', a)).toThrow(/2 input terms but 1 operands/);
    expect(() => nx.einsum('ijk->i', a)).toThrow(/term 'ijk' has 3 labels but operand 0 has shape \[2, 3\]/);
    expect(() => nx.einsum('ij->iz', a)).toThrow(/output label 'z' appears in no input/);
    expect(() => nx.einsum('i1->i', a)).toThrow(/'1' is not a label/);
    expect(() => nx.einsum('ij->ii', a)).toThrow(/a label appears twice in the output/);
    expect(() => nx.einsum('ij->i->j', a)).toThrow(/more than one '->'/);
    nx.dispose([a, b]);
  });
});
