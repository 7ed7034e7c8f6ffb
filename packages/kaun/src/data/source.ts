/**
 * Row sources: columns of equal length held on the host (typed arrays), shuffled by index and
 * cut into batches that are built on the host (rows copied into one typed array per column,
 * then uploaded in one call). The dataset itself is never copied.
 * @module
 */
import * as nx from '@raven/nx';
import type { DType, Tensor } from '@raven/nx';
import { DataError } from '../errors.js';
import { Dataset } from './dataset.js';

/** A typed array a column may hold. */
export type ColumnData = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array | Uint8ClampedArray;

/** Numbers nested in arrays of equal lengths at each level (`[[1, 2], [3, 4]]`). */
export type NestedNumbers = number[] | NestedNumbers[];

/** A column: row-major values and a shape whose first axis is the number of rows. */
export interface ArraySpec {
  /**
   * The values, row after row. A typed array is referenced, not copied (do not mutate it while
   * iterating); a plain array, flat or nested (`[[1, 2], [3, 4]]`, rows first), is converted once.
   */
  data: ColumnData | NestedNumbers;
  /** `[rows, ...rowShape]`; default `[data.length]` (a nested array: its shape). */
  shape?: number[];
  /**
   * dtype of the batch tensors; default `float32` for float data and plain arrays, `int32` for
   * integer typed arrays. Conversion happens while rows are copied (e.g. Uint8 images -> float32).
   */
  dtype?: DType;
}

interface Column {
  name: string;
  data: ColumnData;
  rowShape: number[];
  rowSize: number;
  dtype: DType;
}

/** Rows of one epoch: `idx` (row numbers), or the contiguous rows `offset .. offset+length-1` when null. */
interface Order {
  offset: number;
  idx: Int32Array | null;
}

function defaultDtype(data: ColumnData | NestedNumbers): DType {
  return data instanceof Float32Array || data instanceof Float64Array || Array.isArray(data) ? 'float32' : 'int32';
}

/** Flattens a nested array, checking it is rectangular; returns the values and the shape. */
function flattenNested(fn: string, name: string, a: NestedNumbers): { values: number[]; shape: number[] } {
  const shape: number[] = [];
  for (let v: unknown = a; Array.isArray(v); v = v[0]) shape.push(v.length);
  const values: number[] = [];
  const walk = (v: unknown, depth: number, at: string): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number' && typeof v !== 'boolean') throw new DataError(`${fn}: column '${name}' holds ${v === null ? 'null' : typeof v} at ${at}; expected numbers`);
      values.push(Number(v));
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new DataError(`${fn}: column '${name}' is not rectangular: ${at} has ${Array.isArray(v) ? `${v.length} elements` : 'a number'} where ${shape[depth]} were expected (shape [${shape.join(', ')}])`);
    }
    v.forEach((e, i) => walk(e, depth + 1, `${at}[${i}]`));
  };
  walk(a, 0, name);
  return { values, shape };
}

function toColumn(fn: string, name: string, spec: ArraySpec | ColumnData | NestedNumbers): Column {
  const s: ArraySpec = ArrayBuffer.isView(spec) || Array.isArray(spec) ? { data: spec as ColumnData | NestedNumbers } : spec;
  if (s === null || typeof s !== 'object' || !(ArrayBuffer.isView(s.data) || Array.isArray(s.data))) {
    throw new DataError(`${fn}: column '${name}' must be a typed array, a (nested) array of numbers, or {data, shape, dtype?}`);
  }
  let data: ColumnData;
  let inferred: number[] | undefined;
  if (Array.isArray(s.data)) {
    const { values, shape } = flattenNested(fn, name, s.data);
    data = s.dtype === 'int32' || s.dtype === 'bool' ? Int32Array.from(values) : Float32Array.from(values);
    inferred = shape;
  } else data = s.data;
  const shape = s.shape ?? inferred ?? [data.length];
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new DataError(`${fn}: column '${name}' needs a shape [rows, ...] of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new DataError(`${fn}: column '${name}' has ${data.length} values but shape [${shape.join(', ')}] holds ${size}`);
  const dtype = s.dtype ?? defaultDtype(s.data);
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') throw new DataError(`${fn}: column '${name}': dtype must be float32, int32 or bool, got ${String(dtype)}`);
  const rowShape = shape.slice(1);
  return { name, data, rowShape, rowSize: rowShape.reduce((a, b) => a * b, 1), dtype };
}

function bufferFor(dtype: DType, n: number): Float32Array | Int32Array | Uint8Array {
  return dtype === 'float32' ? new Float32Array(n) : dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
}

/** Options of {@link Source.batch}. */
export interface BatchOptions {
  /** Drop the last batch when it is smaller than `size`; default false. */
  dropLast?: boolean;
}

const BATCH_KEYS: nx.OptionKeys<BatchOptions> = { dropLast: true };

/**
 * Rows held on the host, as columns of equal length. `shuffle`, `take` and `skip` only reorder
 * or select row numbers; `batch` builds tensors. Make one with {@link fromArrays} or
 * {@link fromTensors}.
 * @typeParam K - the column names (the keys of every batch).
 */
export class Source<K extends string = string> {
  readonly #columns: Column[];
  readonly #order: (epoch: number) => Order;
  /** Number of rows. */
  readonly length: number;

  /** @internal Use {@link fromArrays}. */
  constructor(columns: Column[], length: number, order: (epoch: number) => Order) {
    this.#columns = columns;
    this.length = length;
    this.#order = order;
  }

  /** The column names. */
  get columns(): K[] {
    return this.#columns.map((c) => c.name as K);
  }

  /**
   * Reshuffles the rows every epoch: epoch `e` uses the permutation
   * `nx.random.permutationArray(nx.random.foldIn(key, e), length)`, so the order is a function of
   * the key and the epoch only (reproducible, different each epoch). Costs one permutation of
   * the row numbers per epoch; no data moves until batches are built.
   */
  shuffle(key: nx.random.Key): Source<K> {
    if (!(key instanceof nx.random.Key)) throw new DataError('Source.shuffle: expected a key from nx.random.key(seed)');
    const n = this.length;
    const parent = this.#order;
    return new Source<K>(this.#columns, n, (epoch) => {
      const perm = nx.random.permutationArray(nx.random.foldIn(key, epoch), n);
      const p = parent(epoch);
      if (p.idx === null) {
        if (p.offset !== 0) for (let i = 0; i < n; i++) perm[i] = perm[i]! + p.offset;
        return { offset: 0, idx: perm };
      }
      const idx = p.idx;
      for (let i = 0; i < n; i++) perm[i] = idx[perm[i]!]!;
      return { offset: 0, idx: perm };
    });
  }

  /** The first `n` rows (of each epoch's order, so after `shuffle` a fresh random subset each epoch). */
  take(n: number): Source<K> {
    if (!Number.isInteger(n) || n < 0) throw new DataError(`Source.take: n must be a non-negative integer, got ${String(n)}`);
    const m = Math.min(n, this.length);
    const parent = this.#order;
    return new Source<K>(this.#columns, m, (epoch) => {
      const p = parent(epoch);
      return p.idx === null ? p : { offset: 0, idx: p.idx.subarray(0, m) };
    });
  }

  /** All rows but the first `n` (of each epoch's order). */
  skip(n: number): Source<K> {
    if (!Number.isInteger(n) || n < 0) throw new DataError(`Source.skip: n must be a non-negative integer, got ${String(n)}`);
    const m = Math.min(n, this.length);
    const parent = this.#order;
    return new Source<K>(this.#columns, this.length - m, (epoch) => {
      const p = parent(epoch);
      return p.idx === null ? { offset: p.offset + m, idx: null } : { offset: 0, idx: p.idx.subarray(m) };
    });
  }

  /**
   * Batches of `size` rows: each batch is `{[column]: Tensor}` with shape `[b, ...rowShape]`,
   * built by copying the rows into one typed array per column and uploading it in one call.
   * `length` is the number of batches per epoch.
   * @throws DataError unless `size` is a positive integer.
   * @example `Data.fromArrays({ x, y }).shuffle(key).batch(128)`
   */
  batch(size: number, options: BatchOptions = {}): Dataset<{ [C in K]: Tensor }> {
    nx.checkOptions('Source.batch', options, BATCH_KEYS);
    if (!Number.isInteger(size) || size < 1) throw new DataError(`Source.batch: size must be a positive integer, got ${String(size)}`);
    const n = this.length;
    const dropLast = options.dropLast ?? false;
    const numBatches = dropLast ? Math.floor(n / size) : Math.ceil(n / size);
    const columns = this.#columns;
    const order = this.#order;
    return new Dataset<{ [C in K]: Tensor }>((epoch) => {
      let ord: Order | undefined;
      let b = 0;
      // one host buffer per column, refilled for each batch: the batch tensor copies it
      const buffers = new Map<Column, Float32Array | Int32Array | Uint8Array>();
      const bufferOf = (c: Column, length: number) => {
        let buf = buffers.get(c);
        if (buf === undefined || buf.length < length) buffers.set(c, (buf = bufferFor(c.dtype, length)));
        return buf.length === length ? buf : buf.subarray(0, length);
      };
      return {
        next: () => {
          if (b >= numBatches) return { done: true, value: undefined };
          ord ??= order(epoch);
          const start = b * size;
          const count = Math.min(size, n - start);
          b++;
          const out: Record<string, Tensor> = {};
          for (const c of columns) out[c.name] = buildColumn(c, ord, start, count, bufferOf(c, count * c.rowSize));
          return { done: false, value: out as { [C in K]: Tensor } };
        },
        return: () => { b = numBatches; return { done: true, value: undefined }; },
      };
    }, numBatches);
  }
}

/**
 * Rows `start .. start+count-1` of `ord` from column `c`, as a tensor; `buf` (`count` rows long)
 * is filled and copied into the tensor, so the caller may refill it for the next batch.
 */
function buildColumn(c: Column, ord: Order, start: number, count: number, buf: Float32Array | Int32Array | Uint8Array): Tensor {
  const rs = c.rowSize;
  const shape = [count, ...c.rowShape];
  if (ord.idx === null) {
    const from = (ord.offset + start) * rs;
    buf.set(c.data.subarray(from, from + count * rs));
  } else if (rs === 1) {
    const idx = ord.idx;
    const data = c.data;
    for (let i = 0; i < count; i++) buf[i] = data[idx[start + i]!]!;
  } else {
    const idx = ord.idx;
    for (let i = 0; i < count; i++) {
      const r = idx[start + i]!;
      buf.set(c.data.subarray(r * rs, r * rs + rs), i * rs);
    }
  }
  return nx.fromArray(buf, { shape, dtype: c.dtype, copy: true });
}

/**
 * A row source from host arrays: each column is a typed array (1-d), a plain JS array, flat or
 * nested (`[[0.1, 0.2], [0.3, 0.4]]`: its shape is inferred, the values become float32), or
 * `{data, shape, dtype?}`, with the rows on the first axis; every column must have the same
 * number of rows. Typed arrays are referenced, not copied.
 * @throws DataError for mismatched lengths, bad shapes or dtypes, a nested array that is not
 * rectangular (naming where) or holds something other than numbers.
 * @example
 * ```ts
 * const train = Data.fromArrays({
 *   x: { data: images, shape: [60000, 784], dtype: 'float32' }, // Uint8 -> float32 per batch
 *   y: { data: labels, shape: [60000], dtype: 'int32' },
 * }).shuffle(nx.random.key(0)).batch(128);
 * ```
 */
export function fromArrays<C extends Record<string, ArraySpec | ColumnData | NestedNumbers>>(columns: C): Source<Extract<keyof C, string>> {
  const fn = 'Data.fromArrays';
  const names = Object.keys(columns);
  if (names.length === 0) throw new DataError(`${fn}: expected at least one column`);
  const cols = names.map((k) => toColumn(fn, k, columns[k]!));
  const rows = (c: Column) => (c.rowSize === 0 ? 0 : c.data.length / c.rowSize);
  const n = rows(cols[0]!);
  for (const c of cols) {
    if (rows(c) !== n) throw new DataError(`${fn}: columns have different numbers of rows: '${cols[0]!.name}' has ${n}, '${c.name}' has ${rows(c)}`);
  }
  return new Source(cols, n, () => ({ offset: 0, idx: null }));
}

/**
 * A row source from tensors with the rows on the first axis. The tensors are read to the host
 * once (one copy, here; none per epoch) and may be disposed afterwards.
 * @throws DataError for mismatched row counts.
 */
export function fromTensors<C extends Record<string, Tensor>>(tensors: C): Source<Extract<keyof C, string>> {
  const specs: Record<string, ArraySpec> = {};
  for (const [k, t] of Object.entries(tensors)) {
    if (!nx.isTensor(t)) throw new DataError(`Data.fromTensors: column '${k}' is not a tensor`);
    specs[k] = { data: nx.toTypedArray(t), shape: t.shape.length === 0 ? [1] : t.shape.slice(), dtype: t.dtype as DType };
  }
  return fromArrays(specs) as Source<Extract<keyof C, string>>;
}
