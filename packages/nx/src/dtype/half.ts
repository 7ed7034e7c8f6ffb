/**
 * IEEE half precision (F16) and bfloat16 (BF16) bit conversions, from and to float32, with
 * round-to-nearest-even; ±Inf, NaN and -0 are kept and subnormals are exact.
 * @module
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The bit pattern of `x` rounded to float32. */
function bitsOf(x: number): number {
  f32[0] = x;
  return u32[0]!;
}

/** float32 bits (as an unsigned integer) to F16 bits, round-to-nearest-even. */
export function f32BitsToF16Bits(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0); // Inf, or NaN kept quiet
  const e = exp - 112; // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00; // overflow
  if (e <= 0) {
    // F16 subnormal (or zero): the value in units of 2^-24 is m * 2^(e - 14)
    if (e < -10) return sign; // below half the smallest subnormal: rounds to ±0
    const m = mant | 0x800000;
    const shift = 14 - e; // 14..24
    let h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (h & 1) === 1)) h += 1; // may carry into the smallest normal
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h += 1; // a carry may reach 0x7c00 = Inf
  return sign | h;
}

/** F16 bits to float32 bits (exact). */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp === 0) {
    if (mant === 0) return sign >>> 0;
    // subnormal: normalise
    let e = -1;
    do { mant <<= 1; e += 1; } while ((mant & 0x400) === 0);
    mant &= 0x3ff;
    return (sign | ((112 - e) << 23) | (mant << 13)) >>> 0;
  }
  return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
}

/** float32 bits to BF16 bits, round-to-nearest-even (NaN stays a quiet NaN with its sign). */
export function f32BitsToBf16Bits(b: number): number {
  if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) return ((b >>> 16) | 0x40) & 0xffff;
  const bias = 0x7fff + ((b >>> 16) & 1);
  return ((b + bias) >>> 16) & 0xffff;
}

/**
 * The F16 (IEEE binary16) bit pattern of `x`, after rounding `x` to float32, with
 * round-to-nearest-even; values beyond 65504 (after rounding) become ±Inf, NaN stays NaN, -0 stays -0.
 * @example `nx.dtypes.toF16Bits(1) // 0x3c00`
 */
export function toF16Bits(x: number): number {
  return f32BitsToF16Bits(bitsOf(x));
}

/** The value of an F16 bit pattern (exact). @example `nx.dtypes.fromF16Bits(0x3c00) // 1` */
export function fromF16Bits(bits: number): number {
  u32[0] = f16BitsToF32Bits(bits & 0xffff);
  return f32[0]!;
}

/**
 * The BF16 bit pattern of `x`, after rounding `x` to float32, with round-to-nearest-even.
 * @example `nx.dtypes.toBf16Bits(1) // 0x3f80`
 */
export function toBf16Bits(x: number): number {
  return f32BitsToBf16Bits(bitsOf(x));
}

/** The value of a BF16 bit pattern (exact). @example `nx.dtypes.fromBf16Bits(0x3f80) // 1` */
export function fromBf16Bits(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0]!;
}

let f16Table: Float32Array | undefined;

/** A table of the 65,536 F16 values as float32, built on first use (256 KiB). */
export function f16DecodeTable(): Float32Array {
  if (f16Table === undefined) {
    const table = new Float32Array(65536);
    const bits = new Uint32Array(table.buffer);
    for (let h = 0; h < 65536; h++) bits[h] = f16BitsToF32Bits(h);
    f16Table = table;
  }
  return f16Table;
}
