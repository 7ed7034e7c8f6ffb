import * as nx from '@raven/nx';
import { Layer, LayerError } from '@raven/kaun';
import { describe, expect, it } from 'vitest';
import { values } from './_helpers.js';

const none: Layer.Vars = { params: {}, state: {}, dtype: 'float32' };

describe('Layer.dropout', () => {
  const x = nx.ones([100, 100]);
  it('is the identity in eval and with rate 0', () => {
    expect(Layer.dropout({ rate: 0.5 }).apply(none, x).y).toBe(x);
    expect(Layer.dropout({ rate: 0 }).apply(none, x, { training: true }).y).toBe(x);
  });

  it('drops about rate of the elements and scales the rest by 1/(1-rate)', () => {
    const { y } = Layer.dropout({ rate: 0.3 }).apply(none, x, { training: true, key: nx.random.key(0) });
    const v = values(y);
    const kept = v.filter((e) => e !== 0);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.7)]));
    expect(Math.abs(kept.length / v.length - 0.7)).toBeLessThan(0.02);
    // expectation is preserved
    expect(Math.abs(v.reduce((s, e) => s + e, 0) / v.length - 1)).toBeLessThan(0.03);
    y.dispose();
  });

  it('is deterministic in the key and differs across keys', () => {
    const d = Layer.dropout({ rate: 0.5 });
    const a = d.apply(none, x, { training: true, key: nx.random.key(1) }).y;
    const b = d.apply(none, x, { training: true, key: nx.random.key(1) }).y;
    const c = d.apply(none, x, { training: true, key: nx.random.key(2) }).y;
    expect(values(a)).toEqual(values(b));
    expect(values(a)).not.toEqual(values(c));
    nx.dispose([a, b, c]);
  });

  it('needs a key in training and a rate in [0, 1)', () => {
    expect(() => Layer.dropout({ rate: 0.1 }).apply(none, x, { training: true })).toThrow(/no key was given/);
    expect(() => Layer.dropout({ rate: 1 })).toThrow(LayerError);
    expect(() => Layer.dropout({ rate: -0.1 })).toThrow(/rate must be a number in \[0, 1\)/);
  });

  it('passes gradients through kept elements only, scaled', () => {
    const xi = nx.fromArray([1, 2, 3, 4, 5, 6, 7, 8]);
    const key = nx.random.key(3);
    const y = Layer.applyDropout(xi, 0.5, key);
    const [g] = nx.grad((t) => nx.sum(Layer.applyDropout(t, 0.5, key)))(xi);
    // d/dx of sum(mask * x / 0.5) is the mask divided by 0.5: the output over the input
    expect(values(g!)).toEqual(values(y).map((e, i) => e / (i + 1)));
    nx.dispose([xi, y, g]);
  });

  it('does not leak', () => {
    const d = Layer.dropout({ rate: 0.5 });
    const before = nx.memory().numTensors;
    for (let i = 0; i < 10; i++) d.apply(none, x, { training: true, key: nx.random.key(i) }).y.dispose();
    expect(nx.memory().numTensors).toBe(before);
  });
});
