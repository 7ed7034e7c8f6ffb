import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as nx from '@raven/nx';

const { decode, encode } = nx.dtypes;
type StorageDType = nx.dtypes.StorageDType;

// Little-endian bytes written with DataView: an independent way to produce file bytes.
function leBytes(dtype: StorageDType, values: Array<number | bigint>): Uint8Array {
  const size = nx.dtypes.itemSize(dtype);
  const dv = new DataView(new ArrayBuffer(values.length * size));
  values.forEach((v, i) => {
    const o = i * size;
    switch (dtype) {
      case 'F64': dv.setFloat64(o, Number(v), true); break;
      case 'F32': dv.setFloat32(o, Number(v), true); break;
      case 'I64': dv.setBigInt64(o, BigInt(v), true); break;
      case 'U64': dv.setBigUint64(o, BigInt(v), true); break;
      case 'I32': dv.setInt32(o, Number(v), true); break;
      case 'U32': dv.setUint32(o, Number(v), true); break;
      case 'I16': dv.setInt16(o, Number(v), true); break;
      case 'U16': dv.setUint16(o, Number(v), true); break;
      case 'I8': dv.setInt8(o, Number(v)); break;
      case 'U8': case 'BOOL': dv.setUint8(o, Number(v)); break;
      case 'F16': case 'BF16': dv.setUint16(o, Number(v), true); break; // bit patterns
    }
  });
  return new Uint8Array(dv.buffer);
}

const sameFloat = (a: number, b: number) => (Number.isNaN(a) && Number.isNaN(b)) || Object.is(a, b);

describe('nx.dtypes tables', () => {
  it('itemSize, computeDtypeOf, defaultStorageOf', () => {
    const expected: Record<StorageDType, [number, string]> = {
      F64: [8, 'float32'], F32: [4, 'float32'], F16: [2, 'float32'], BF16: [2, 'float32'],
      I64: [8, 'int32'], U64: [8, 'int32'], I32: [4, 'int32'], U32: [4, 'int32'], I16: [2, 'int32'],
      U16: [2, 'int32'], I8: [1, 'int32'], U8: [1, 'int32'], BOOL: [1, 'bool'],
    };
    for (const [d, [size, compute]] of Object.entries(expected)) {
      expect(nx.dtypes.itemSize(d as StorageDType)).toBe(size);
      expect(nx.dtypes.computeDtypeOf(d as StorageDType)).toBe(compute);
    }
    expect(nx.dtypes.defaultStorageOf('float32')).toBe('F32');
    expect(nx.dtypes.defaultStorageOf('int32')).toBe('I32');
    expect(nx.dtypes.defaultStorageOf('bool')).toBe('BOOL');
    expect(() => nx.dtypes.defaultStorageOf('complex64' as nx.DType)).toThrow(nx.DTypeError);
  });

  it('reports unsupported safetensors dtypes by name, and unknown names as such', () => {
    for (const d of ['F8_E4M3', 'F8_E5M2', 'F4', 'F6_E2M3', 'C64']) {
      expect(() => decode(new Uint8Array(8), d as StorageDType)).toThrow(`dtype ${d} is not supported`);
      expect(() => encode(new Float32Array(1), d as StorageDType)).toThrow(nx.DTypeError);
    }
    expect(() => decode(new Uint8Array(4), 'FOO' as StorageDType)).toThrow(/"FOO" is not a storage dtype/);
    expect(() => nx.dtypes.itemSize('F8_E4M3' as StorageDType)).toThrow('dtype F8_E4M3 is not supported');
  });
});

describe('decode', () => {
  it('reads bytes written by DataView for every dtype', () => {
    const ints: Array<[StorageDType, number[]]> = [
      ['I64', [0, -1, 2 ** 31 - 1, -(2 ** 31), 12345]],
      ['U64', [0, 1, 2 ** 31 - 1]],
      ['I32', [0, -1, 2 ** 31 - 1, -(2 ** 31)]],
      ['U32', [0, 7, 2 ** 31 - 1]],
      ['I16', [-32768, 32767, -1]],
      ['U16', [0, 65535, 1]],
      ['I8', [-128, 127, -1]],
      ['U8', [0, 255, 9]],
    ];
    for (const [d, vals] of ints) {
      const r = decode(leBytes(d, vals), d);
      expect(r.dtype).toBe('int32');
      expect(r.data).toBeInstanceOf(Int32Array);
      expect(Array.from(r.data)).toEqual(vals);
    }
    const f64 = decode(leBytes('F64', [0.1, -1e300, 1e-50, -0]), 'F64');
    expect(f64.dtype).toBe('float32');
    expect(Array.from(f64.data)).toEqual([Math.fround(0.1), -Infinity, 0, -0]); // precision and range lost
    const f16 = decode(leBytes('F16', [0x3c00, 0xc000, 0x7c00, 0x8000, 0x0001, 0x3555]), 'F16');
    expect(Array.from(f16.data)).toEqual([1, -2, Infinity, -0, 2 ** -24, 0.333251953125]);
    const bf16 = decode(leBytes('BF16', [0x3f80, 0xc000, 0xff80, 0x3dcd]), 'BF16');
    expect(Array.from(bf16.data)).toEqual([1, -2, -Infinity, 0.10009765625]);
    const b = decode(leBytes('BOOL', [0, 1, 1]), 'BOOL');
    expect(b.dtype).toBe('bool');
    expect(Array.from(b.data)).toEqual([0, 1, 1]);
  });

  it('reads unaligned input and copies by default', () => {
    const buf = new Uint8Array(9);
    buf.set(leBytes('F32', [1.5, -2]), 1);
    const r = decode(buf.subarray(1), 'F32');
    expect(Array.from(r.data)).toEqual([1.5, -2]);
    const src = leBytes('F32', [3]);
    const copied = decode(src, 'F32');
    src.fill(0);
    expect(copied.data[0]).toBe(3);
  });

  it('refuses int64 values it cannot represent, naming the tensor', () => {
    expect(() => decode(leBytes('I64', [2n ** 53n + 2n]), 'I64', { name: 'ids' })).toThrow(/tensor "ids".*9007199254740994.*±2\^53/);
    expect(() => decode(leBytes('I64', [-(2n ** 60n)]), 'I64')).toThrow(/±2\^53/);
    expect(() => decode(leBytes('I64', [2n ** 31n]), 'I64')).toThrow(/2147483648.*int32/);
    expect(() => decode(leBytes('U64', [2n ** 63n]), 'U64')).toThrow(/9223372036854775808.*±2\^53/);
    expect(() => decode(leBytes('U32', [2 ** 31]), 'U32')).toThrow(/2147483648.*int32/);
    expect(() => decode(leBytes('BOOL', [0, 2]), 'BOOL')).toThrow(/BOOL byte 2 at index 1/);
    expect(() => decode(new Uint8Array(6), 'F32')).toThrow(nx.ValueError);
  });
});

describe('encode', () => {
  it('writes the bytes DataView writes', () => {
    expect(encode(Int32Array.from([-2, 5]), 'I64')).toEqual(leBytes('I64', [-2n, 5n]));
    expect(encode([2 ** 53, -(2 ** 53)], 'I64')).toEqual(leBytes('I64', [2n ** 53n, -(2n ** 53n)]));
    expect(encode([2 ** 32 - 1], 'U32')).toEqual(leBytes('U32', [2 ** 32 - 1]));
    expect(encode(Float32Array.from([1, 0.1]), 'F64')).toEqual(leBytes('F64', [1, Math.fround(0.1)]));
    expect(encode(Float32Array.from([1, -2, 65520]), 'F16')).toEqual(leBytes('F16', [0x3c00, 0xc000, 0x7c00]));
    expect(encode(Float32Array.from([1, 0.1]), 'BF16')).toEqual(leBytes('BF16', [0x3f80, 0x3dcd]));
    expect(encode(Float32Array.from([0, 2, -0.5, NaN]), 'BOOL')).toEqual(new Uint8Array([0, 1, 1, 1]));
  });

  it('refuses values that do not fit, naming the tensor', () => {
    expect(() => encode(Int32Array.from([300]), 'I8', { name: 'w' })).toThrow(/tensor "w".*300.*I8/);
    expect(() => encode(Int32Array.from([-1]), 'U16')).toThrow(/-1.*U16/);
    expect(() => encode(Float32Array.from([1.5]), 'I32')).toThrow(/1.5 .*not an integer/);
    expect(() => encode(Float32Array.from([NaN]), 'I64')).toThrow(/NaN/);
    expect(() => encode([2 ** 53 + 2], 'I64')).toThrow(nx.DTypeError);
  });

  it('round-trips every dtype (fast-check), keeping NaN, ±Inf and -0', () => {
    const floatArr = fc.array(fc.float(), { maxLength: 40 }).map((a) => Float32Array.from(a));
    fc.assert(fc.property(floatArr, (a) => {
      for (const d of ['F32', 'F64'] as const) {
        const back = decode(encode(a, d), d).data;
        a.forEach((v, i) => expect(sameFloat(back[i]!, v)).toBe(true));
      }
      for (const d of ['F16', 'BF16'] as const) {
        const to = d === 'F16' ? nx.dtypes.toF16Bits : nx.dtypes.toBf16Bits;
        const from = d === 'F16' ? nx.dtypes.fromF16Bits : nx.dtypes.fromBf16Bits;
        const back = decode(encode(a, d), d).data;
        a.forEach((v, i) => expect(sameFloat(back[i]!, from(to(v)))).toBe(true));
        // a second trip is exact: values already representable are kept bit for bit
        const again = decode(encode(back, d), d).data;
        back.forEach((v, i) => expect(sameFloat(again[i]!, v)).toBe(true));
      }
    }), { numRuns: 200 });

    const ranges: Array<[StorageDType, number, number]> = [
      ['I64', -(2 ** 31), 2 ** 31 - 1], ['U64', 0, 2 ** 31 - 1], ['I32', -(2 ** 31), 2 ** 31 - 1],
      ['U32', 0, 2 ** 31 - 1], ['I16', -32768, 32767], ['U16', 0, 65535], ['I8', -128, 127], ['U8', 0, 255], ['BOOL', 0, 1],
    ];
    for (const [d, lo, hi] of ranges) {
      fc.assert(fc.property(fc.array(fc.integer({ min: lo, max: hi }), { maxLength: 40 }), (vals) => {
        const data = d === 'BOOL' ? Uint8Array.from(vals) : Int32Array.from(vals);
        const bytes = encode(data, d);
        expect(bytes).toEqual(leBytes(d, vals));
        expect(Array.from(decode(bytes, d).data)).toEqual(vals);
      }), { numRuns: 50 });
    }
  });
});
