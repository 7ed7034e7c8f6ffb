import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as nx from '@raven/nx';

const { toF16Bits, fromF16Bits, toBf16Bits, fromBf16Bits } = nx.dtypes;

// Independent truth: the value of an F16 pattern from the IEEE 754 binary16 definition.
function f16Value(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m === 0 ? s * Infinity : NaN;
  if (e === 0) return s * m * 2 ** -24;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

// All finite non-negative F16 values in increasing order (pattern i for i = 0..0x7bff).
const POSITIVE = Array.from({ length: 0x7c00 }, (_, i) => f16Value(i));

// Reference encoder written from the definition: nearest representable, ties to the even pattern.
function refF16(x: number): number {
  if (Number.isNaN(x)) return -1; // compared separately
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00; // 65504 + half an ulp (16) rounds to even = Inf
  let lo = 0;
  let hi = POSITIVE.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (POSITIVE[mid]! <= a) lo = mid; else hi = mid - 1;
  }
  if (lo === POSITIVE.length - 1) return sign | lo;
  const dLo = a - POSITIVE[lo]!;
  const dHi = POSITIVE[lo + 1]! - a;
  if (dLo < dHi) return sign | lo;
  if (dHi < dLo) return sign | (lo + 1);
  return sign | (lo % 2 === 0 ? lo : lo + 1);
}

// Reference BF16 encoder: candidates are the float32 truncated to its top 16 bits and the next
// BF16 value away from zero; pick the nearer (in exact double arithmetic), ties to even.
function refBf16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  const down = u[0]! >>> 16;
  const up = down + 1;
  const val = (bits: number) => { u[0] = bits << 16; return f[0]!; };
  const xd = Math.fround(x);
  const dDown = Math.abs(xd - val(down));
  // past the largest finite BF16 the next value is 2^128 with unbounded exponent (it then reads as Inf)
  const vUp = (up & 0x7f80) === 0x7f80 ? Math.sign(xd) * 2 ** 128 : val(up);
  const dUp = Math.abs(xd - vUp);
  if (dDown < dUp) return down;
  if (dUp < dDown) return up & 0xffff;
  return (down % 2 === 0 ? down : up) & 0xffff;
}

describe('F16 bits', () => {
  it('matches hand-computed patterns', () => {
    const cases: Array<[number, number]> = [
      [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [65519, 0x7bff], [65520, 0x7c00],
      [1e6, 0x7c00], [-1e6, 0xfc00], [Infinity, 0x7c00], [-Infinity, 0xfc00], [0, 0x0000], [-0, 0x8000],
      [2 ** -14, 0x0400], // smallest normal
      [1023 * 2 ** -24, 0x03ff], // largest subnormal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // exactly half the smallest subnormal: tie to even (0)
      [1.5 * 2 ** -25, 0x0001],
      [3 * 2 ** -25, 0x0002], // tie between 1 and 2 units: even
      [2 ** -26, 0x0000],
      [1 + 2 ** -11, 0x3c00], // tie between 0x3c00 (even) and 0x3c01
      [1 + 3 * 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02 (even)
      [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie
      [0.1, 0x2e66], [1 / 3, 0x3555], [-0.333251953125, 0xb555],
    ];
    for (const [x, bits] of cases) expect([x, toF16Bits(x)]).toEqual([x, bits]);
    const nan = toF16Bits(NaN);
    expect(nan & 0x7c00).toBe(0x7c00);
    expect(nan & 0x3ff).not.toBe(0);
  });

  it('decodes every pattern as the binary16 definition says, and re-encodes it exactly', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = fromF16Bits(h);
      const ref = f16Value(h);
      if (Number.isNaN(ref)) {
        expect(Number.isNaN(v)).toBe(true);
        continue;
      }
      if (v !== ref || Object.is(v, -0) !== Object.is(ref, -0)) throw new Error(`pattern ${h.toString(16)}: ${v} vs ${ref}`);
      if (toF16Bits(v) !== h) throw new Error(`pattern ${h.toString(16)} re-encodes to ${toF16Bits(v).toString(16)}`);
    }
  });

  it('rounds any float32 to the nearest F16, ties to even (fast-check)', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true }), (x) => {
        expect(toF16Bits(x)).toBe(refF16(x));
      }),
      { numRuns: 3000 },
    );
    // dense sampling near the subnormal range and the overflow threshold
    fc.assert(
      fc.property(fc.float({ min: Math.fround(-1e-4), max: Math.fround(1e-4), noNaN: true }), (x) => {
        expect(toF16Bits(x)).toBe(refF16(x));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.float({ min: 60000, max: 70000, noNaN: true }), (x) => {
        expect(toF16Bits(x)).toBe(refF16(x));
      }),
      { numRuns: 500 },
    );
  });
});

describe('BF16 bits', () => {
  it('matches hand-computed patterns', () => {
    const cases: Array<[number, number]> = [
      [1, 0x3f80], [-2, 0xc000], [0, 0], [-0, 0x8000], [Infinity, 0x7f80], [-Infinity, 0xff80],
      [1 + 2 ** -8, 0x3f80], // tie between 0x3f80 (even) and 0x3f81
      [1 + 3 * 2 ** -8, 0x3f82], // tie between 0x3f81 and 0x3f82 (even)
      [1 + 2 ** -8 + 2 ** -20, 0x3f81],
      [3.4028234663852886e38, 0x7f80], // float32 max rounds up to Inf
      [2 ** -133, 0x0001], // a float32 subnormal that BF16 holds exactly
      [0.1, 0x3dcd],
    ];
    for (const [x, bits] of cases) expect([x, toBf16Bits(x)]).toEqual([x, bits]);
    expect(toBf16Bits(NaN) & 0x7f80).toBe(0x7f80);
    expect(toBf16Bits(NaN) & 0x7f).not.toBe(0);
    expect(Number.isNaN(fromBf16Bits(0x7fc0))).toBe(true);
    expect(fromBf16Bits(0x3f80)).toBe(1);
    expect(Object.is(fromBf16Bits(0x8000), -0)).toBe(true);
  });

  it('rounds any float32 to the nearest BF16, ties to even (fast-check)', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(toBf16Bits(x)).toBe(refBf16(x));
        expect(toBf16Bits(fromBf16Bits(toBf16Bits(x)))).toBe(toBf16Bits(x));
      }),
      { numRuns: 3000 },
    );
  });
});
