/**
 * The bytes of TensorBoard event files: TFRecord framing (length, masked CRC32C of the length,
 * data, masked CRC32C of the data) around `tensorflow.Event` protocol buffers holding scalar
 * `Summary` values. Written from the formats' definitions (tensorflow/core/util/event.proto,
 * summary.proto, tsl/lib/io/record_writer.cc); no dependency.
 * @module
 */

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1; // Castagnoli, reflected
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli) of `bytes`. @internal */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15 and add a constant. @internal */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: `uint64 length`, `uint32 masked crc(length)`, data, `uint32 masked crc(data)`, little-endian. @internal */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n; // int64 two's complement
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

function lengthDelimited(field: number, payload: Uint8Array): number[] {
  return [...varint((field << 3) | 2), ...varint(payload.length), ...payload];
}

/** `Summary.Value {tag = 1; simple_value = 2}`. */
function scalarValue(tag: string, value: number): Uint8Array {
  const f = new Uint8Array(4);
  new DataView(f.buffer).setFloat32(0, value, true);
  return Uint8Array.from([...lengthDelimited(1, new TextEncoder().encode(tag)), (2 << 3) | 5, ...f]);
}

/** What an event holds besides its time and step. @internal */
export type EventBody = { fileVersion: string } | { scalars: Record<string, number> };

/** `Event {wall_time = 1 (double); step = 2 (int64); file_version = 3 | summary = 5}`. @internal */
export function encodeEvent(wallTime: number, step: number, body: EventBody): Uint8Array {
  const t = new Uint8Array(8);
  new DataView(t.buffer).setFloat64(0, wallTime, true);
  const bytes: number[] = [(1 << 3) | 1, ...t, (2 << 3) | 0, ...varint(step)];
  if ('fileVersion' in body) bytes.push(...lengthDelimited(3, new TextEncoder().encode(body.fileVersion)));
  else {
    const values = Object.entries(body.scalars).flatMap(([tag, v]) => lengthDelimited(1, scalarValue(tag, v)));
    bytes.push(...lengthDelimited(5, Uint8Array.from(values)));
  }
  return Uint8Array.from(bytes);
}
