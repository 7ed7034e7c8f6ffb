import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { values } from '../_helpers.js';

const R = nx.random;

function moments(a: ArrayLike<number>): { mean: number; variance: number; skew: number; kurtosis: number } {
  const n = a.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += a[i]!;
  m /= n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - m;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  return { mean: m, variance: m2, skew: m3 / n / m2 ** 1.5, kurtosis: m4 / n / (m2 * m2) };
}

describe('the generator', () => {
  it('Threefry-2x32 passes the Random123 known-answer vectors', () => {
    expect(R.threefry2x32(0, 0, 0, 0)).toEqual([0x6b200159, 0x99ba4efe]);
    expect(R.threefry2x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)).toEqual([0x1cb996fc, 0xbb002be7]);
    expect(R.threefry2x32(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3)).toEqual([0xc4923a9c, 0x483df7a0]);
  });

  it('reproduces JAX values published in JAX and its ports', () => {
    // jax.random.split(jax.random.key(0)) and split(key(0), 3)[2] (partitionable Threefry)
    expect(R.split(R.key(0)).map((k) => [k.k0, k.k1])).toEqual([[1797259609, 2579123966], [928981903, 3453687069]]);
    const third = R.split(R.key(0), 3)[2]!;
    expect([third.k0, third.k1]).toEqual([4146024105, 2718843009]);
    // jax.random.uniform(key(0), (4,))
    const u = R.uniformArray(R.key(0), 4);
    [0.9476670027, 0.9785798788, 0.3322914839, 0.4686684608].forEach((v, i) => expect(u[i]).toBeCloseTo(v, 9));
    // Legacy (non-partitionable) layout facts, rebuilt from the block function: the old
    // split of PRNGKey(0) and _random_bits(PRNGKey(1701), 32, (3,)) from JAX's own tests.
    const a = R.threefry2x32(0, 0, 0, 2);
    const b = R.threefry2x32(0, 0, 1, 3);
    expect([[a[0], b[0]], [a[1], b[1]]]).toEqual([[4146024105, 967050713], [2718843009, 1272950319]]);
    const p = R.threefry2x32(0, 1701, 0, 2);
    const q = R.threefry2x32(0, 1701, 1, 0);
    expect([p[0], q[0], p[1]]).toEqual([56197195, 4200222568, 961309823]);
  });

  it('keys from seeds as JAX: 32-bit seeds give [0, seed mod 2^32], larger ones two words', () => {
    const k = R.key(42);
    expect([k.k0, k.k1]).toEqual([0, 42]);
    expect([R.key(-1).k0, R.key(-1).k1]).toEqual([0, 0xffffffff]);
    expect([R.key(2 ** 40 + 5).k0, R.key(2 ** 40 + 5).k1]).toEqual([256, 5]);
    expect(Array.from(k.data())).toEqual([0, 42]);
    expect(k.toString()).toBe('Key(0, 42)');
    expect(k.equals(R.key(42))).toBe(true);
    expect(Object.isFrozen(k)).toBe(true);
    expect(() => R.key(1.5)).toThrow(/random\.key: seed must be a safe integer, got 1\.5/);
    expect(() => new R.Key(-1, 0)).toThrow(/k0 must be an integer in \[0, 2\^32\)/);
  });

  it('foldIn(k, i) is split(k, n)[i], and bits are the xor of the split words (partitionable layout)', () => {
    const k = R.key(7);
    const keys = R.split(k, 5);
    const bits = R.bitsArray(k, 5);
    keys.forEach((s, i) => {
      expect(R.foldIn(k, i).equals(s)).toBe(true);
      expect(bits[i]).toBe((s.k0 ^ s.k1) >>> 0);
    });
  });

  it('uniform floats are the top 23 bits as a mantissa: (bits >>> 9) / 2^23', () => {
    const k = R.key(3);
    const bits = R.bitsArray(k, 1000);
    const u = R.uniformArray(k, 1000);
    expect(Array.from(u)).toEqual(Array.from(bits, (b) => (b >>> 9) / 2 ** 23));
  });

  it('is deterministic and split keys give different, uncorrelated streams', () => {
    const k = R.key(123);
    expect(Array.from(R.uniformArray(k, 100))).toEqual(Array.from(R.uniformArray(k, 100)));
    const [a, b] = R.split(k);
    expect(a!.equals(b!)).toBe(false);
    const ua = R.uniformArray(a!, 20000);
    const ub = R.uniformArray(b!, 20000);
    const uk = R.uniformArray(k, 20000);
    const corr = (x: Float32Array, y: Float32Array) => {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += (x[i]! - 0.5) * (y[i]! - 0.5);
      return s / x.length / (1 / 12);
    };
    // |r| of independent streams is about 1/sqrt(n) = 0.007; 0.03 is > 4 sigma
    expect(Math.abs(corr(ua, ub))).toBeLessThan(0.03);
    expect(Math.abs(corr(ua, uk))).toBeLessThan(0.03);
    // a prefix of a longer draw is the shorter draw (counter-based)
    expect(Array.from(R.uniformArray(k, 10))).toEqual(Array.from(R.uniformArray(k, 30).subarray(0, 10)));
  });
});

describe('samplers', () => {
  const n = 50000;
  it('uniform: range and moments (mean 1/2, variance 1/12), low/high scale', () => {
    const u = R.uniformArray(R.key(1), n);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    const m = moments(u);
    expect(Math.abs(m.mean - 0.5)).toBeLessThan(0.006); // sd of the mean: 0.0013
    expect(Math.abs(m.variance - 1 / 12)).toBeLessThan(0.002);
    nx.scope(() => {
      const t = R.uniform(R.key(1), [10, 20], { low: -2, high: 3 });
      expect([t.shape, t.dtype]).toEqual([[10, 20], 'float32']);
      const v = values(t);
      expect(Math.min(...v)).toBeGreaterThanOrEqual(-2);
      expect(Math.max(...v)).toBeLessThan(3);
    });
  });

  it('normal: mean, std, skew and kurtosis of N(mean, std)', () => {
    nx.scope(() => {
      const m = moments(values(R.normal(R.key(2), [n])));
      expect(Math.abs(m.mean)).toBeLessThan(0.02); // sd 0.0045
      expect(Math.abs(Math.sqrt(m.variance) - 1)).toBeLessThan(0.02);
      expect(Math.abs(m.skew)).toBeLessThan(0.05);
      expect(Math.abs(m.kurtosis - 3)).toBeLessThan(0.1);
      const s = moments(values(R.normal(R.key(2), [n], { mean: 5, std: 0.5 })));
      expect(Math.abs(s.mean - 5)).toBeLessThan(0.01);
      expect(Math.abs(Math.sqrt(s.variance) - 0.5)).toBeLessThan(0.01);
    });
  });

  it('truncatedNormal: inside the bounds, variance of the truncated law', () => {
    // Var of N(0,1) truncated to [-a, a] = 1 - 2 a phi(a) / (2 Phi(a) - 1); a = 2 gives 0.7737
    const phi = (x: number) => Math.exp(-x * x / 2) / Math.sqrt(2 * Math.PI);
    const expectedVar = 1 - (2 * 2 * phi(2)) / 0.9544997361036416;
    nx.scope(() => {
      const z = values(R.truncatedNormal(R.key(3), [n]));
      expect(Math.min(...z)).toBeGreaterThan(-2);
      expect(Math.max(...z)).toBeLessThan(2);
      const m = moments(z);
      expect(Math.abs(m.mean)).toBeLessThan(0.02);
      expect(Math.abs(m.variance - expectedVar)).toBeLessThan(0.015);
      const w = values(R.truncatedNormal(R.key(3), [1000], { lower: 0, upper: 1, mean: 10, std: 2 }));
      expect(Math.min(...w)).toBeGreaterThanOrEqual(10);
      expect(Math.max(...w)).toBeLessThanOrEqual(12);
    });
  });

  it('randint: int32 in [low, high), every value about equally often', () => {
    nx.scope(() => {
      const t = R.randint(R.key(4), [n], -3, 7);
      expect(t.dtype).toBe('int32');
      const v = values(t);
      const counts = new Array(10).fill(0);
      expect(Math.min(...v)).toBe(-3);
      expect(Math.max(...v)).toBe(6);
      for (const x of v) counts[x + 3]++;
      // chi-square with 9 degrees of freedom: 99.9% quantile is 27.9
      const e = n / 10;
      const chi2 = counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
      expect(chi2).toBeLessThan(27.9);
    });
    expect(() => R.randint(R.key(0), [2], 5, 5)).toThrow(/randint: need int32 integers low < high, got low 5, high 5/);
  });

  it('bernoulli: frequency close to p; tensor p broadcasts', () => {
    nx.scope(() => {
      const b = R.bernoulli(R.key(5), 0.3, [n]);
      expect(b.dtype).toBe('bool');
      const freq = values(b).reduce((s, x) => s + x, 0) / n;
      expect(Math.abs(freq - 0.3)).toBeLessThan(0.01); // sd 0.002
      const p = nx.fromArray([0, 1, 0.5]);
      const bt = R.bernoulli(R.key(5), p, [4, 3]);
      const v = values(bt);
      for (let r = 0; r < 4; r++) {
        expect(v[r * 3]).toBe(0);
        expect(v[r * 3 + 1]).toBe(1);
      }
      expect(R.bernoulli(R.key(5), 0.5).shape).toEqual([]);
    });
    expect(() => R.bernoulli(R.key(0), 1.5, [2])).toThrow(/bernoulli: p must be in \[0, 1\], got 1\.5/);
  });

  it('permutation: a permutation of 0..n-1, different per key; permutes a tensor\'s rows', () => {
    const p = R.permutationArray(R.key(6), 1000);
    expect(p).toBeInstanceOf(Int32Array);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(p)).not.toEqual(Array.from(R.permutationArray(R.key(7), 1000)));
    // the position of element 0 is uniform over many keys (rough check of the shuffle)
    const first = new Array(4).fill(0);
    for (let s = 0; s < 2000; s++) first[R.permutationArray(R.key(s), 4).indexOf(0)]++;
    for (const c of first) expect(Math.abs(c - 500)).toBeLessThan(90);
    nx.scope(() => {
      const t = R.permutation(R.key(6), 1000);
      expect([t.shape, t.dtype]).toEqual([[1000], 'int32']);
      expect(values(t)).toEqual(Array.from(p));
      const x = nx.fromArray([[0, 0], [1, 1], [2, 2]]);
      const px = R.permutation(R.key(8), x);
      const rows = values(px);
      const order = Array.from(R.permutationArray(R.key(8), 3));
      expect(rows).toEqual(order.flatMap((r) => [r, r]));
    });
  });

  it('categorical: frequencies follow softmax(logits); axis and shape options', () => {
    nx.scope(() => {
      const probs = [0.1, 0.6, 0.3];
      const logits = nx.log(nx.fromArray(probs));
      const draws = values(R.categorical(R.key(9), logits, { shape: [20000] }));
      const counts = [0, 0, 0];
      for (const d of draws) counts[d]!++;
      probs.forEach((p, i) => expect(Math.abs(counts[i]! / 20000 - p)).toBeLessThan(0.015));
      // one draw per row; a row with one dominant logit always picks it
      const l2 = nx.fromArray([[0, 100, 0], [100, 0, 0]]);
      expect(values(R.categorical(R.key(10), l2))).toEqual([1, 0]);
      expect(values(R.categorical(R.key(10), nx.transpose(l2), { axis: 0 }))).toEqual([1, 0]);
      const many = R.categorical(R.key(11), l2, { shape: [5, 2] });
      expect([many.shape, many.dtype]).toEqual([[5, 2], 'int32']);
      expect(values(many)).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);
      expect(() => R.categorical(R.key(0), l2, { shape: [3] })).toThrow(/categorical: shape \[3\] does not end with the batch shape \[2\]/);
    });
  });

  it('the tensor samplers give exactly the host arrays', () => {
    nx.scope(() => {
      const k = R.key(12);
      expect(values(R.uniform(k, [3, 4]))).toEqual(Array.from(R.uniformArray(k, 12)));
      expect(values(R.normal(k, [12]))).toEqual(Array.from(R.normalArray(k, 12)));
      expect(values(R.truncatedNormal(k, [12]))).toEqual(Array.from(R.truncatedNormalArray(k, 12)));
      expect(values(R.randint(k, [12], 0, 5))).toEqual(Array.from(R.randintArray(k, 12, 0, 5)));
    });
  });

  it('same numbers on the cpu and wasm backends (samplers that compute on the device too)', async () => {
    const start = nx.backendInfo().backend;
    const draw = () =>
      nx.scope(() => {
        const k = R.key(2024);
        const [k1, k2, k3] = R.split(k, 3);
        const logits = R.normal(k1!, [6, 5]);
        return [
          values(R.categorical(k2!, logits, { shape: [4, 6] })),
          values(R.bernoulli(k3!, R.uniform(k1!, [6]), [3, 6])),
          values(R.normal(k, [64], { mean: 1, std: 3 })),
        ];
      });
    const results: number[][][] = [];
    for (const b of ['cpu', 'wasm'] as const) {
      await nx.useBackend(b);
      results.push(draw());
    }
    await nx.useBackend(start as nx.BackendName);
    expect(results[0]).toEqual(results[1]);
  });

  it('refuses bad shapes and parameters with the sampler named', () => {
    const k = R.key(0);
    expect(() => R.uniform(k, [2, -1])).toThrow(/random\.uniform: shape \[2,-1\] must be a list of non-negative integers/);
    expect(() => R.uniform(k, [2], { low: 1, high: 1 })).toThrow(/need finite low < high/);
    expect(() => R.normal(k, [2], { std: -1 })).toThrow(/normal: std must be >= 0/);
    expect(() => R.truncatedNormal(k, [2], { lower: 1, upper: 0 })).toThrow(/truncatedNormal: need lower < upper/);
    expect(() => R.split(k, -1)).toThrow(/split: n must be a non-negative integer/);
    expect(() => R.uniform(42 as unknown as nx.random.Key, [2])).toThrow(/random\.uniform: expected a Key/);
  });
});
