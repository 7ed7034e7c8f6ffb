import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';

describe('gradient of prod', () => {
  it('is the product of the other elements, zeros included', () => {
    // d/dx_i prod(x) = prod_{j != i} x_j, written out for [2, 0, 3, 4]
    const x = nx.fromArray([2, 0, 3, 4]);
    const [g] = nx.grad((t: nx.Tensor) => nx.prod(t))(x);
    expect(nx.toArray(g!)).toEqual([0, 24, 0, 0]);
  });

  it('reduces over chosen axes with keepDims', () => {
    // rows [1, 2, 3] and [4, 5, 6]: d/dx of sum(prod over axis 1) is the row product without x
    const x = nx.fromArray([[1, 2, 3], [4, 5, 6]]);
    const [g] = nx.grad((t: nx.Tensor) => nx.sum(nx.prod(t, { axis: 1, keepDims: true })))(x);
    expect(nx.toArray(g!)).toEqual([[6, 3, 2], [30, 24, 20]]);
  });

  it('matches finite differences over axis 0 of a 3-d tensor', () => {
    const x = nx.random.uniform(nx.random.key(3), [3, 2, 2], { low: 0.5, high: 1.5 });
    const w = nx.random.normal(nx.random.key(4), [2, 2]);
    const r = nx.checkGrad((t: nx.Tensor) => nx.sum(nx.mul(nx.prod(t, { axis: 0 }), w)), [x]);
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
  });
});
