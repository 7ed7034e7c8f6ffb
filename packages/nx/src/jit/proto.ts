/**
 * A minimal protocol-buffer writer for the TensorFlow messages a traced graph needs: `GraphDef`,
 * `NodeDef`, `AttrValue`, `TensorProto`, `TensorShapeProto` (field numbers from TensorFlow's
 * `graph.proto`, `node_def.proto`, `attr_value.proto`, `tensor.proto`, `tensor_shape.proto`).
 * Internal to `nx.jit`.
 * @module
 */

/** Bytes appended to a growing buffer, with protobuf's wire encodings. */
class Writer {
  #buf = new Uint8Array(256);
  #len = 0;

  #grow(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /** An unsigned varint; negative numbers are written as 64-bit two's complement (10 bytes). */
  varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    this.#grow(10);
    while (v >= 0x80n) {
      this.#buf[this.#len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.#buf[this.#len++] = Number(v);
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.#grow(data.length);
    this.#buf.set(data, this.#len);
    this.#len += data.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  int(field: number, v: number | bigint): void {
    this.tag(field, 0);
    this.varint(v);
  }

  float(field: number, v: number): void {
    this.tag(field, 5);
    this.fixed32(v);
  }

  /** A float32 as four little-endian bytes, no tag (packed floats). */
  fixed32(v: number): void {
    this.#grow(4);
    new DataView(this.#buf.buffer, this.#buf.byteOffset + this.#len, 4).setFloat32(0, v, true);
    this.#len += 4;
  }

  message(field: number, write: (w: Writer) => void): void {
    const inner = new Writer();
    write(inner);
    this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** A TensorFlow `DataType` enum value (the same numbers as the C API's `TF_DataType`). */
export type DataTypeEnum = number;

/** `DT_FLOAT`, `DT_INT32`, `DT_BOOL`, ... as TensorFlow numbers them. */
export const DT = { float32: 1, int32: 3, uint8: 4, string: 7, int64: 9, bool: 10 } as const;

/** A value of an attribute, in the shape the trace records it. */
export type Attr =
  | { kind: 's'; value: string }
  | { kind: 'i'; value: number }
  | { kind: 'f'; value: number }
  | { kind: 'b'; value: boolean }
  | { kind: 'type'; value: DataTypeEnum }
  | { kind: 'shape'; value: number[] }
  | { kind: 'tensor'; value: ConstTensor }
  | { kind: 'list-i'; value: number[] }
  | { kind: 'list-f'; value: number[] }
  | { kind: 'list-b'; value: boolean[] }
  | { kind: 'list-type'; value: DataTypeEnum[] }
  | { kind: 'list-s'; value: string[] };

/**
 * A constant's data: dtype, shape, and either raw little-endian bytes or one value repeated over
 * the whole shape (`splat`, as zeros and ones are: TensorProto broadcasts a single value).
 */
export interface ConstTensor {
  dtype: DataTypeEnum;
  shape: number[];
  content?: Uint8Array;
  splat?: number;
}

/** One node of a graph: its name, op type, inputs (`name:index`) and attributes. */
export interface NodeDef {
  name: string;
  op: string;
  inputs: string[];
  attrs: Record<string, Attr>;
}

function writeShape(w: Writer, shape: number[]): void {
  for (const d of shape) w.message(2, (dim) => dim.int(1, d)); // TensorShapeProto.dim { size = 1 }
}

function writeTensor(w: Writer, t: ConstTensor): void {
  w.int(1, t.dtype); // dtype
  w.message(2, (s) => writeShape(s, t.shape)); // tensor_shape
  if (t.splat !== undefined) {
    // float_val = 5, int_val = 7 (int32, uint8, bool as 0/1 in bool_val = 11), int64_val = 10
    if (t.dtype === DT.float32) packed(w, 5, [t.splat], (p, v) => p.fixed32(v));
    else if (t.dtype === DT.bool) packed(w, 11, [t.splat], (p, v) => p.varint(v));
    else if (t.dtype === DT.int64) packed(w, 10, [t.splat], (p, v) => p.varint(v));
    else packed(w, 7, [t.splat], (p, v) => p.varint(v));
  } else if (t.content !== undefined && t.content.length > 0) {
    w.bytes(4, t.content); // tensor_content
  }
}

function packed(w: Writer, field: number, values: number[], each: (p: Writer, v: number) => void): void {
  if (values.length === 0) return;
  const p = new Writer();
  for (const v of values) each(p, v);
  w.bytes(field, p.finish());
}

function writeAttr(w: Writer, a: Attr): void {
  // AttrValue: list = 1, s = 2, i = 3, f = 4, b = 5, type = 6, shape = 7, tensor = 8
  // ListValue: s = 2, i = 3 (packed), f = 4 (packed), b = 5 (packed), type = 6 (packed)
  switch (a.kind) {
    case 's': w.string(2, a.value); break;
    case 'i': w.int(3, a.value); break;
    case 'f': w.float(4, a.value); break;
    case 'b': w.int(5, a.value ? 1 : 0); break;
    case 'type': w.int(6, a.value); break;
    case 'shape': w.message(7, (s) => writeShape(s, a.value)); break;
    case 'tensor': w.message(8, (t) => writeTensor(t, a.value)); break;
    case 'list-i': w.message(1, (l) => packed(l, 3, a.value, (p, v) => p.varint(v))); break;
    case 'list-f': w.message(1, (l) => packed(l, 4, a.value, (p, v) => p.fixed32(v))); break;
    case 'list-b': w.message(1, (l) => packed(l, 5, a.value.map((b) => (b ? 1 : 0)), (p, v) => p.varint(v))); break;
    case 'list-type': w.message(1, (l) => packed(l, 6, a.value, (p, v) => p.varint(v))); break;
    case 'list-s': w.message(1, (l) => { for (const s of a.value) l.string(2, s); }); break;
  }
}

/**
 * Serialises a `GraphDef` with the given nodes and producer version.
 * @internal
 */
export function encodeGraphDef(nodes: readonly NodeDef[], producer: number): Uint8Array {
  const w = new Writer();
  for (const n of nodes) {
    w.message(1, (nd) => {
      nd.string(1, n.name);
      nd.string(2, n.op);
      for (const i of n.inputs) nd.string(3, i);
      for (const key of Object.keys(n.attrs).sort()) {
        nd.message(5, (e) => {
          e.string(1, key);
          e.message(2, (v) => writeAttr(v, n.attrs[key]!));
        });
      }
    });
  }
  w.message(4, (v) => v.int(1, producer)); // versions { producer }
  return w.finish();
}
