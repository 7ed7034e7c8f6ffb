import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';

describe('smoke', () => {
  it('runs on the requested backend', () => {
    expect(nx.backendInfo().backend).toBe(process.env['NX_BACKEND']);
  });
  it('matmul and grad', () => {
    const x = nx.fromArray([[1, 2], [3, 4]]);
    const y = nx.matmul(x, x);
    expect(Array.from(y.dataSync())).toEqual([7, 10, 15, 22]);
    const { value, grads } = nx.valueAndGrad((w: nx.Tensor) => nx.sum(nx.mul(w, w)))(nx.fromArray([1, 2]));
    expect(value.dataSync()[0]).toBe(5);
    expect(Array.from(grads[0]!.dataSync())).toEqual([2, 4]);
  });
});
