import * as nx from '@raven/nx';
import { Layer, Ptree } from '@raven/kaun';
import { expect } from 'vitest';

/** Nested values of a tensor as plain numbers. */
export function values(t: nx.Tensor): number[] {
  return Array.from(t.dataSync());
}

/** Expects two number lists to agree elementwise within `tol`. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) {
      throw new Error(`element ${i}: got ${a}, expected ${e} (tol ${tol})`);
    }
  }
}

/**
 * Checks the gradient of `sum(apply(params, x) * r)` (a random projection `r` of the output)
 * with respect to every parameter and the input, by finite differences.
 */
export function checkLayerGrad(layer: Layer.Layer, vars: Layer.Vars, x: nx.Tensor, options: Layer.ApplyOptions & { wrtInput?: boolean; maxPoints?: number } = {}): void {
  const { wrtInput: wrt, maxPoints, ...applyOptions } = options;
  nx.scope(() => {
    const { leaves, rebuild } = Ptree.flatten(vars.params);
    const y0 = layer.apply(vars, x, applyOptions).y;
    const r = nx.random.normal(nx.random.key(99), y0.shape);
    const wrtInput = wrt ?? x.dtype === 'float32';
    const f = (...ts: nx.Tensor[]) => {
      const ps = rebuild(ts.slice(0, leaves.length));
      const xin = wrtInput ? ts[leaves.length]! : x;
      return nx.sum(nx.mul(layer.apply(Layer.withParams(vars, ps), xin, applyOptions).y, r));
    };
    const res = nx.checkGrad(f, wrtInput ? [...leaves, x] : leaves, { maxPoints: maxPoints ?? 24 });
    if (!res.ok) throw new Error(`gradient check failed: ${JSON.stringify(res.worst)} (max abs error ${res.maxAbsError})`);
  });
}
