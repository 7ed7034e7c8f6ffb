/**
 * Data from CSV files: {@link readCsv} streams a file into typed columns (only the selected
 * columns are kept) and gives a row source to shuffle and batch like any other;
 * {@link streamCsv} reads the file again every epoch, for files larger than memory.
 * @module
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import * as nx from '@raven/nx';
import type { DType, Tensor } from '@raven/nx';
import { DataError } from '../errors.js';
import { CsvParser } from './csv-parse.js';
import { Dataset } from './dataset.js';
import { fromArrays, type ArraySpec, type Source } from './source.js';

/** How a CSV column is read: a number (`'float32'`, `'int32'`) or a category, given as its index in `categories` (int32). */
export type CsvType = 'float32' | 'int32' | { categories: string[] | 'auto' };

/** Options of {@link readCsv}. */
export interface ReadCsvOptions<K extends string = string> {
  /**
   * The batch fields and the CSV columns they hold: one column name gives `[rows]`, a list gives
   * `[rows, n]`, e.g. `{ x: ['sepal_length', 'sepal_width'], y: 'species' }`. Without a header,
   * name columns by their index (`'0'`, `'1'`). Other columns are skipped.
   */
  columns: Record<K, string | string[]>;
  /** The type of each CSV column used; default `'float32'`. `{ categories: 'auto' }` numbers the distinct values in sorted order. */
  types?: Record<string, CsvType>;
  /** The field separator; default `','`. */
  delimiter?: string;
  /** Whether the first row names the columns; default true. */
  header?: boolean;
  /** The value of an empty field; default: an empty field is an error. */
  missing?: number;
}

const READ_KEYS: nx.OptionKeys<ReadCsvOptions> = { columns: true, types: true, delimiter: true, header: true, missing: true };

/** What {@link readCsv} returns. */
export interface CsvData<K extends string> {
  /** The rows, as a source: `shuffle`, `take`, `skip`, `batch`. */
  source: Source<K>;
  /** The categories of each categorical column, in index order. */
  categories: Record<string, string[]>;
  /** Rows read (the header excluded). */
  rows: number;
}

interface Plan {
  fields: Array<{ name: string; cols: string[]; dtype: DType; scalar: boolean }>;
  used: string[]; // CSV columns used, in order
}

function plan(fn: string, options: ReadCsvOptions): Plan {
  const types = options.types ?? {};
  const fields = Object.entries(options.columns as Record<string, string | string[]>).map(([name, c]) => {
    const cols = typeof c === 'string' ? [c] : c;
    if (!Array.isArray(cols) || cols.length === 0 || cols.some((x) => typeof x !== 'string')) throw new DataError(`${fn}: columns.${name} must be a column name or a non-empty list of names`);
    const floats = cols.some((x) => (types[x] ?? 'float32') === 'float32');
    return { name, cols, dtype: (floats ? 'float32' : 'int32') as DType, scalar: typeof c === 'string' };
  });
  if (fields.length === 0) throw new DataError(`${fn}: columns must name at least one field`);
  const used = [...new Set(fields.flatMap((f) => f.cols))];
  for (const [col, t] of Object.entries(types)) {
    if (!(t === 'float32' || t === 'int32' || (typeof t === 'object' && t !== null && (t.categories === 'auto' || Array.isArray(t.categories))))) {
      throw new DataError(`${fn}: types.${col} must be 'float32', 'int32' or { categories: [...] | 'auto' }, got ${JSON.stringify(t)}`);
    }
  }
  return { fields, used };
}

/** Turns CSV rows into numbers per used column, growing typed buffers. */
class Columns {
  readonly values: Map<string, { data: Float64Array; n: number }> = new Map();
  readonly cats = new Map<string, Map<string, number>>();
  index: number[] = [];
  rows = 0;

  constructor(readonly fn: string, readonly path: string, readonly used: string[], readonly types: Record<string, CsvType>, readonly missing: number | undefined) {
    for (const c of used) {
      this.values.set(c, { data: new Float64Array(1024), n: 0 });
      const t = types[c];
      if (typeof t === 'object') this.cats.set(c, new Map(t.categories === 'auto' ? [] : t.categories.map((s, i) => [s, i])));
    }
  }

  header(row: string[] | undefined, named: boolean): void {
    const names = named ? row! : undefined;
    this.index = this.used.map((c) => {
      const i = names === undefined ? (/^\d+$/.test(c) ? Number(c) : -1) : names.indexOf(c);
      if (i < 0) throw new DataError(`${this.fn}: ${this.path} has no column '${c}'${names ? ` (columns: ${names.join(', ')})` : '; without a header, name columns by index: "0", "1", ...'}`);
      return i;
    });
  }

  /** Parses one row into numbers (one per used column). */
  parse(row: string[], line: number): number[] {
    return this.used.map((c, j) => {
      const raw = row[this.index[j]!];
      if (raw === undefined) throw new DataError(`${this.fn}: ${this.path} line ${line} has ${row.length} fields, no column '${c}'`);
      const t = this.types[c] ?? 'float32';
      if (typeof t === 'object') {
        const m = this.cats.get(c)!;
        let v = m.get(raw);
        if (v === undefined) {
          if (t.categories !== 'auto') throw new DataError(`${this.fn}: ${this.path} line ${line}, column '${c}': '${raw}' is not one of the categories ${JSON.stringify(t.categories)}`);
          v = m.size;
          m.set(raw, v);
        }
        return v;
      }
      const s = raw.trim();
      if (s === '') {
        if (this.missing !== undefined) return this.missing;
        throw new DataError(`${this.fn}: ${this.path} line ${line}, column '${c}' is empty; pass missing: <value> to fill empty fields`);
      }
      const v = Number(s);
      if (Number.isNaN(v) && !/^[+-]?nan$/i.test(s)) throw new DataError(`${this.fn}: ${this.path} line ${line}, column '${c}': '${raw}' is not a number; give the column a type ({ categories: [...] }) or leave it out`);
      if (t === 'int32' && !Number.isInteger(v)) throw new DataError(`${this.fn}: ${this.path} line ${line}, column '${c}': '${raw}' is not an integer (the column is int32)`);
      return v;
    });
  }

  add(row: string[], line: number): void {
    const vals = this.parse(row, line);
    this.used.forEach((c, j) => {
      const col = this.values.get(c)!;
      if (col.n === col.data.length) {
        const grown = new Float64Array(col.data.length * 2);
        grown.set(col.data);
        col.data = grown;
      }
      col.data[col.n++] = vals[j]!;
    });
    this.rows++;
  }

  /** The categories in index order; `'auto'` ones are renumbered in sorted order. */
  finishCategories(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [c, m] of this.cats) {
      const t = this.types[c] as { categories: string[] | 'auto' };
      if (t.categories !== 'auto') { out[c] = [...t.categories]; continue; }
      const sorted = [...m.keys()].sort();
      const remap = new Map(sorted.map((s, i) => [m.get(s)!, i]));
      const col = this.values.get(c)!;
      for (let i = 0; i < col.n; i++) col.data[i] = remap.get(col.data[i]!)!;
      out[c] = sorted;
    }
    return out;
  }
}

function checkCommon(fn: string, path: string, options: ReadCsvOptions): void {
  if (typeof path !== 'string' || path === '') throw new DataError(`${fn}: path must be a non-empty string`);
  if (options === null || typeof options !== 'object' || options.columns === null || typeof options.columns !== 'object') throw new DataError(`${fn}: options.columns is required, e.g. { x: ['a', 'b'], y: 'label' }`);
}

/**
 * Reads a CSV file into typed columns, streaming (the text is never held whole; only the
 * selected columns are kept, as numbers) and gives a row source: `shuffle(key)`, `take`, `skip`,
 * `batch(size)` as for `Data.fromArrays`. Numbers parse with `Number` (`1e-3`, `-2`, `nan`);
 * categorical columns map strings to their index. Quoted fields (RFC 4180: delimiters,
 * newlines and `""` inside quotes) are handled; blank lines are skipped.
 * @returns the source, the categories of categorical columns, the row count.
 * @throws DataError naming the file, line and column of a value that does not parse, a missing
 * column, an empty field without `missing`, or an unterminated quote.
 * @example
 * ```ts
 * const { source, categories } = await Data.readCsv('iris.csv', {
 *   columns: { x: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'], y: 'species' },
 *   types: { species: { categories: 'auto' } },
 * });
 * const train = source.shuffle(nx.random.key(0)).batch(16); // x float32 [16, 4], y int32 [16]
 * ```
 */
export async function readCsv<K extends string>(path: string, options: ReadCsvOptions<K>): Promise<CsvData<K>> {
  const fn = 'Data.readCsv';
  nx.checkOptions(fn, options, READ_KEYS);
  checkCommon(fn, path, options);
  const p = plan(fn, options);
  const parser = new CsvParser(options.delimiter ?? ',');
  const cols = new Columns(fn, path, p.used, options.types ?? {}, options.missing);
  const header = options.header ?? true;
  let seenHeader = !header;
  if (!header) cols.header(undefined, false);
  const take = (rows: string[][]) => {
    rows.forEach((row, i) => {
      if (!seenHeader) { cols.header(row, true); seenHeader = true; return; }
      cols.add(row, parser.lines[i]!);
    });
  };
  try {
    for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 16 })) take(parser.push(chunk as string));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new DataError(`${fn}: no file ${path}`, { cause: e });
    throw e;
  }
  take(parser.end());
  if (!seenHeader) throw new DataError(`${fn}: ${path} is empty (no header row)`);
  const categories = cols.finishCategories();
  const specs: Record<string, ArraySpec> = {};
  for (const f of p.fields) {
    const n = cols.rows;
    const data = f.dtype === 'float32' ? new Float32Array(n * f.cols.length) : new Int32Array(n * f.cols.length);
    f.cols.forEach((c, j) => {
      const src = cols.values.get(c)!.data;
      for (let i = 0; i < n; i++) data[i * f.cols.length + j] = src[i]!;
    });
    specs[f.name] = { data, shape: f.scalar ? [n] : [n, f.cols.length], dtype: f.dtype };
  }
  return { source: fromArrays(specs) as unknown as Source<K>, categories, rows: cols.rows };
}

/** Options of {@link streamCsv}. */
export interface StreamCsvOptions<K extends string = string> extends ReadCsvOptions<K> {
  /** Rows per batch. */
  batchSize: number;
  /** Shuffle within a buffer of this many rows (as tf.data), drawn from `key` and the epoch; default no shuffling. */
  shuffleBuffer?: number;
  /** The key of the shuffle; required with `shuffleBuffer`. */
  key?: nx.random.Key;
  /** Drop a last batch smaller than `batchSize`; default false. */
  dropLast?: boolean;
}

const STREAM_KEYS: nx.OptionKeys<StreamCsvOptions> = { ...READ_KEYS, batchSize: true, shuffleBuffer: true, key: true, dropLast: true };

function* csvRows(fn: string, path: string, delimiter: string): Generator<{ row: string[]; line: number }> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new DataError(`${fn}: cannot open ${path}: ${(e as Error).message}`, { cause: e });
  }
  const parser = new CsvParser(delimiter);
  const decoder = new StringDecoder('utf8');
  const buf = Buffer.alloc(1 << 16);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      const rows = parser.push(n === 0 ? decoder.end() : decoder.write(buf.subarray(0, n)));
      const lines = parser.lines;
      for (let i = 0; i < rows.length; i++) yield { row: rows[i]!, line: lines[i]! };
      if (n === 0) {
        const last = parser.end();
        if (last.length > 0) yield { row: last[0]!, line: parser.lines[0]! };
      }
      if (n === 0) return;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Batches read from a CSV file as they stream, again every epoch: nothing but a batch (and the
 * shuffle buffer) is held, so the file may be larger than memory. Batches are
 * `{[field]: Tensor}` as with {@link readCsv}. With `shuffleBuffer`, rows go through a buffer
 * of that size and leave it in an order drawn from `nx.random.foldIn(key, epoch)` (tf.data's
 * `shuffle(buffer)`): a local shuffle, exact only when the buffer holds the whole file.
 * `{ categories: 'auto' }` reads the file once more, first.
 * @throws DataError as {@link readCsv}, and for a bad `batchSize` or a buffer without a key.
 * @example `Data.streamCsv('big.csv', { columns: { x: ['a', 'b'], y: 'label' }, batchSize: 256, shuffleBuffer: 10_000, key })`
 */
export function streamCsv<K extends string>(path: string, options: StreamCsvOptions<K>): Dataset<{ [F in K]: Tensor }> {
  const fn = 'Data.streamCsv';
  nx.checkOptions(fn, options, STREAM_KEYS);
  checkCommon(fn, path, options);
  const p = plan(fn, options);
  const { batchSize, shuffleBuffer, key } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new DataError(`${fn}: batchSize must be a positive integer, got ${String(batchSize)}`);
  if (shuffleBuffer !== undefined && (!Number.isInteger(shuffleBuffer) || shuffleBuffer < 1)) throw new DataError(`${fn}: shuffleBuffer must be a positive integer, got ${String(shuffleBuffer)}`);
  if (shuffleBuffer !== undefined && !(key instanceof nx.random.Key)) throw new DataError(`${fn}: shuffleBuffer needs a key from nx.random.key(seed)`);
  const delimiter = options.delimiter ?? ',';
  const header = options.header ?? true;
  const types = { ...(options.types ?? {}) };
  // 'auto' categories: one pass first, so every epoch numbers them the same
  for (const [c, t] of Object.entries(types)) {
    if (typeof t === 'object' && t.categories === 'auto') {
      const seen = new Set<string>();
      let idx = -1;
      let first = header;
      for (const { row } of csvRows(fn, path, delimiter)) {
        if (first) { idx = row.indexOf(c); first = false; if (idx < 0) throw new DataError(`${fn}: ${path} has no column '${c}'`); continue; }
        if (idx < 0) idx = Number(c);
        if (row[idx] !== undefined) seen.add(row[idx]!);
      }
      types[c] = { categories: [...seen].sort() };
    }
  }
  return new Dataset<{ [F in K]: Tensor }>((epoch) => {
    const cols = new Columns(fn, path, p.used, types, options.missing);
    if (!header) cols.header(undefined, false);
    const rows = csvRows(fn, path, delimiter);
    let first = header;
    const rng = shuffleBuffer === undefined ? undefined : uniformStream(nx.random.foldIn(key!, epoch));
    const buffer: number[][] = [];
    let done = false;
    const nextRow = (): number[] | undefined => {
      while (!done && buffer.length < (shuffleBuffer ?? 1)) {
        const r = rows.next();
        if (r.done) { done = true; break; }
        if (first) { cols.header(r.value.row, true); first = false; continue; }
        buffer.push(cols.parse(r.value.row, r.value.line));
      }
      if (buffer.length === 0) return undefined;
      const i = rng === undefined ? 0 : Math.floor(rng() * buffer.length);
      const v = buffer[i]!;
      buffer[i] = buffer[buffer.length - 1]!;
      buffer.pop();
      return v;
    };
    return {
      next: () => {
        const batch: number[][] = [];
        while (batch.length < batchSize) {
          const r = nextRow();
          if (r === undefined) break;
          batch.push(r);
        }
        if (batch.length === 0 || (options.dropLast && batch.length < batchSize)) return { done: true, value: undefined } as IteratorResult<{ [F in K]: Tensor }>;
        const out: Record<string, Tensor> = {};
        for (const f of p.fields) {
          const idx = f.cols.map((c) => p.used.indexOf(c));
          const data = f.dtype === 'float32' ? new Float32Array(batch.length * idx.length) : new Int32Array(batch.length * idx.length);
          batch.forEach((r, i) => idx.forEach((k, j) => { data[i * idx.length + j] = r[k]!; }));
          out[f.name] = nx.fromArray(data, { shape: f.scalar ? [batch.length] : [batch.length, idx.length], dtype: f.dtype });
        }
        return { done: false, value: out as { [F in K]: Tensor } };
      },
      return: () => { void rows.return(undefined); return { done: true, value: undefined } as IteratorResult<{ [F in K]: Tensor }>; },
    };
  });
}

/** Uniform numbers in [0, 1) from a key, drawn in blocks on the host. */
function uniformStream(key: nx.random.Key): () => number {
  let block = 0;
  let values: Float32Array = new Float32Array(0);
  let i = 0;
  return () => {
    if (i >= values.length) {
      values = nx.random.uniformArray(nx.random.foldIn(key, block++), 4096);
      i = 0;
    }
    return values[i++]!;
  };
}
