/**
 * An independent minimal safetensors reader written from the spec
 * (https://github.com/huggingface/safetensors#format), for checking what nx.io writes. It shares
 * no code with nx: DataView reads and binary16/bfloat16 decoded from their definitions.
 */

export interface SpecTensor {
  dtype: string;
  shape: number[];
  values: Float64Array;
}

export interface SpecFile {
  headerLength: number;
  headerText: string;
  metadata: Record<string, string> | undefined;
  /** Tensor names in header (JSON text) order. */
  order: string[];
  tensors: Map<string, SpecTensor>;
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0x1f) return m === 0 ? s * Infinity : NaN;
  if (e === 0) return s * m * 2 ** -24;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function bfloat(h: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, h << 16);
  return dv.getFloat32(0);
}

const SIZES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, U64: 8, I32: 4, U32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1 };

const HALF = Float64Array.from({ length: 65536 }, (_, h) => half(h));

function readValue(dv: DataView, dtype: string, o: number): number {
  if (dtype === 'F16') return HALF[dv.getUint16(o, true)]!;
  switch (dtype) {
    case 'F64': return dv.getFloat64(o, true);
    case 'F32': return dv.getFloat32(o, true);
    case 'F16': return half(dv.getUint16(o, true));
    case 'BF16': return bfloat(dv.getUint16(o, true));
    case 'I64': return Number(dv.getBigInt64(o, true));
    case 'U64': return Number(dv.getBigUint64(o, true));
    case 'I32': return dv.getInt32(o, true);
    case 'U32': return dv.getUint32(o, true);
    case 'I16': return dv.getInt16(o, true);
    case 'U16': return dv.getUint16(o, true);
    case 'I8': return dv.getInt8(o);
    default: return dv.getUint8(o);
  }
}

/** Reads a whole file per the spec; throws (plain Error) on anything the spec forbids. */
export function specRead(bytes: Uint8Array): SpecFile {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  const headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  const header = JSON.parse(headerText) as Record<string, unknown>;
  // header order as written in the text: JSON.parse keeps insertion order for non-index keys
  const order = Object.keys(header).filter((k) => k !== '__metadata__');
  const dataStart = 8 + n;
  let expectedBegin = 0;
  const tensors = new Map<string, SpecTensor>();
  for (const name of order) {
    const info = header[name] as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const [begin, end] = info.data_offsets;
    if (begin !== expectedBegin) throw new Error(`spec: ${name} begins at ${begin}, expected ${expectedBegin} (packed, in header order)`);
    const size = SIZES[info.dtype];
    if (size === undefined) throw new Error(`spec: unknown dtype ${info.dtype}`);
    const count = info.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * size) throw new Error(`spec: ${name} spans ${end - begin} bytes, expected ${count * size}`);
    const values = new Float64Array(count);
    for (let i = 0; i < count; i++) values[i] = readValue(dv, info.dtype, dataStart + begin + i * size);
    tensors.set(name, { dtype: info.dtype, shape: info.shape, values });
    expectedBegin = end;
  }
  if (dataStart + expectedBegin !== bytes.byteLength) throw new Error(`spec: file has ${bytes.byteLength} bytes, header accounts for ${dataStart + expectedBegin}`);
  return { headerLength: n, headerText, metadata: header.__metadata__ as Record<string, string> | undefined, order, tensors };
}
