import * as nx from '@raven/nx';
import { Init, KaunError } from '@raven/kaun';
import { describe, expect, it } from 'vitest';

const key = nx.random.key(7);

function stats(t: nx.Tensor): { mean: number; std: number; min: number; max: number } {
  const v = t.dataSync();
  let s = 0;
  for (const x of v) s += x;
  const mean = s / v.length;
  let q = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) {
    q += (x - mean) ** 2;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  return { mean, std: Math.sqrt(q / v.length), min, max };
}

/** Draws, returns the statistics, frees the draw. */
function draw(init: Init.Initializer, shape: number[]) {
  const t = init(key, shape);
  expect(t.shape).toEqual(shape);
  expect(t.dtype).toBe('float32');
  const s = stats(t);
  t.dispose();
  return s;
}

describe('Init.computeFans (PyTorch layout)', () => {
  it('reads dense, conv, vector and scalar shapes', () => {
    expect(Init.computeFans([128, 784])).toEqual({ fanIn: 784, fanOut: 128 });
    expect(Init.computeFans([16, 3, 5, 5])).toEqual({ fanIn: 75, fanOut: 400 });
    expect(Init.computeFans([8, 4, 3])).toEqual({ fanIn: 12, fanOut: 24 });
    expect(Init.computeFans([10])).toEqual({ fanIn: 10, fanOut: 10 });
    expect(Init.computeFans([])).toEqual({ fanIn: 1, fanOut: 1 });
  });
});

describe('constant initializers', () => {
  it('fill with the value, in the dtype asked', () => {
    const z = Init.zeros(key, [2, 2]);
    const o = Init.ones(key, [3], 'int32');
    const c = Init.constant(0.25)(key, [2]);
    expect(Array.from(z.dataSync())).toEqual([0, 0, 0, 0]);
    expect(o.dtype).toBe('int32');
    expect(Array.from(o.dataSync())).toEqual([1, 1, 1]);
    expect(Array.from(c.dataSync())).toEqual([0.25, 0.25]);
    nx.dispose([z, o, c]);
  });
});

describe('random initializers', () => {
  const n = [200, 250]; // 50k samples: sample std of the mean ~ std / 224
  it('uniform: [low, high) and [0, scale)', () => {
    const s = draw(Init.uniform({ low: -3, high: 1 }), n);
    expect(s.min).toBeGreaterThanOrEqual(-3);
    expect(s.max).toBeLessThan(1);
    expect(s.mean).toBeCloseTo(-1, 1);
    expect(s.std).toBeCloseTo(4 / Math.sqrt(12), 1);
    const t = draw(Init.uniform({ scale: 0.5 }), n);
    expect(t.min).toBeGreaterThanOrEqual(0);
    expect(t.max).toBeLessThan(0.5);
    expect(() => Init.uniform({ low: 1, high: 1 })).toThrow(KaunError);
  });

  it('normal and truncated normal: mean, std, bounds', () => {
    const s = draw(Init.normal({ std: 0.02, mean: 1 }), n);
    expect(Math.abs(s.mean - 1)).toBeLessThan(0.001);
    expect(Math.abs(s.std / 0.02 - 1)).toBeLessThan(0.02);
    const t = draw(Init.truncatedNormal({ std: 2 }), n);
    expect(t.min).toBeGreaterThanOrEqual(-4);
    expect(t.max).toBeLessThanOrEqual(4);
    // std of a standard normal truncated to [-2, 2] is 0.8796...
    expect(Math.abs(t.std / (2 * 0.87962566103423978) - 1)).toBeLessThan(0.02);
    expect(() => Init.normal({ std: -1 })).toThrow(/Init.normal: std must be/);
  });

  it('is deterministic in the key and casts to the asked dtype', () => {
    const a = Init.normal()(key, [5]);
    const b = Init.normal()(key, [5]);
    const c = Init.normal()(nx.random.key(8), [5]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(c.dataSync()));
    nx.dispose([a, b, c]);
  });
});

describe('variance scaling and the named families', () => {
  const shape = [200, 300]; // fanIn 300, fanOut 200
  const cases: Array<[string, Init.Initializer, number, 'u' | 't']> = [
    ['glorotUniform', Init.glorotUniform, 2 / 500, 'u'],
    ['glorotNormal', Init.glorotNormal, 2 / 500, 't'],
    ['heUniform', Init.heUniform, 2 / 300, 'u'],
    ['heNormal', Init.heNormal, 2 / 300, 't'],
    ['lecunUniform', Init.lecunUniform, 1 / 300, 'u'],
    ['lecunNormal', Init.lecunNormal, 1 / 300, 't'],
    ['torchDefault', Init.torchDefault, 1 / 900, 'u'],
    ['varianceScaling fanOut normal', Init.varianceScaling({ scale: 3, mode: 'fanOut', distribution: 'normal' }), 3 / 200, 't'],
  ];
  for (const [name, init, variance, kind] of cases) {
    it(`${name} has variance ${variance.toExponential(3)} and the right support`, () => {
      const s = draw(init, shape);
      expect(Math.abs(s.mean)).toBeLessThan(0.01 * Math.sqrt(variance) * 3);
      expect(Math.abs(s.std / Math.sqrt(variance) - 1)).toBeLessThan(0.02);
      if (kind === 'u') expect(Math.max(-s.min, s.max)).toBeLessThanOrEqual(Math.sqrt(3 * variance) + 1e-7);
      if (name.endsWith('Normal')) expect(Math.max(-s.min, s.max)).toBeLessThanOrEqual(2 * Math.sqrt(variance) / 0.87962566103423978 + 1e-6);
    });
  }

  it('uses the receptive field for conv shapes', () => {
    // [O=64, C=8, 5, 5]: fanIn 200
    const s = draw(Init.heUniform, [64, 8, 5, 5]);
    expect(Math.abs(s.std / Math.sqrt(2 / 200) - 1)).toBeLessThan(0.03);
  });

  it('torchBias bounds by 1/sqrt(fanIn); bad options throw', () => {
    const s = draw(Init.torchBias(16), [5000]);
    expect(Math.max(-s.min, s.max)).toBeLessThanOrEqual(0.25);
    expect(s.max).toBeGreaterThan(0.24);
    expect(() => Init.varianceScaling({ mode: 'fanMid' as Init.FanMode })).toThrow(/mode must be/);
    expect(() => Init.varianceScaling({ scale: -1 })).toThrow(KaunError);
    expect(() => Init.heUniform(key, [3, 0])).toThrow(/fanIn of shape \[3, 0\] is 0/);
  });
});
