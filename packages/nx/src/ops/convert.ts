/**
 * Reading values back to JavaScript: {@link toArray}, {@link toTypedArray}, {@link item}, and a
 * NumPy-like printout, {@link format}. These read synchronously from the backend.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { DisposedTensorError, ValueError } from '../errors.js';
import { checkOptions, type OptionKeys } from '../options.js';
import type { NestedArray, Tensor, TypedArray } from '../tensor.js';
import { fmtShape } from './_util.js';

function readable(op: string, x: Tensor): void {
  if (!(x instanceof tf.Tensor)) throw new ValueError(`nx.${op}: expected a tensor, got ${x === null ? 'null' : typeof x}`);
  if (x.isDisposed) throw new DisposedTensorError(`nx.${op}`, 'x', x);
}

/**
 * The values as nested JavaScript arrays: numbers for float32 and int32, booleans for bool.
 * A 0-d tensor gives a bare number or boolean.
 * @throws ValueError if `x` has been disposed.
 * @example `nx.toArray(nx.eye(2))` is `[[1, 0], [0, 1]]`.
 */
export function toArray(x: Tensor): NestedArray {
  readable('toArray', x);
  const data = x.dataSync();
  const isBool = x.dtype === 'bool';
  const at = (i: number): number | boolean => (isBool ? data[i] !== 0 : (data[i] as number));
  if (x.rank === 0) return at(0);
  const strides = stridesOf(x.shape);
  const build = (axis: number, off: number): NestedArray[] => {
    const n = x.shape[axis]!;
    const out = new Array<NestedArray>(n);
    const s = strides[axis]!;
    if (axis === x.rank - 1) for (let i = 0; i < n; i++) out[i] = at(off + i);
    else for (let i = 0; i < n; i++) out[i] = build(axis + 1, off + i * s);
    return out;
  };
  return build(0, 0);
}

/**
 * A copy of the values in row-major order: Float32Array for float32, Int32Array for int32,
 * Uint8Array (0/1) for bool. Changing it does not change the tensor.
 * @throws ValueError if `x` has been disposed.
 */
export function toTypedArray(x: Tensor): TypedArray {
  readable('toTypedArray', x);
  const data = x.dataSync();
  if (x.dtype === 'float32') return Float32Array.from(data as Float32Array);
  if (x.dtype === 'int32') return Int32Array.from(data as Int32Array);
  if (x.dtype === 'bool') return Uint8Array.from(data as Uint8Array);
  throw new ValueError(`nx.toTypedArray: dtype ${x.dtype} is not a compute dtype`);
}

/**
 * The single value of a one-element tensor (any shape of size 1): a number, or a boolean for a
 * bool tensor. The usual way to read a loss. Typed `number` by default, as a loss or a metric is;
 * for a bool tensor say so: `nx.item<boolean>(flag)` (as TF.js's `dataSync<D>()`, the type
 * argument is not checked against the tensor's dtype).
 * @throws ValueError when the tensor does not hold exactly one element (the message gives its
 *   shape) or has been disposed.
 * @example `const lossValue = nx.item(loss); // number`
 */
export function item<T extends number | boolean = number>(x: Tensor): T {
  readable('item', x);
  if (x.size !== 1) throw new ValueError(`nx.item: expected a tensor with one element, got shape ${fmtShape(x.shape)} (${x.size} elements); reduce it first or use nx.toArray`);
  const v = x.dataSync()[0] as number;
  return (x.dtype === 'bool' ? v !== 0 : v) as T;
}

/** Options of {@link format}. */
export interface FormatOptions {
  /**
   * Digits after the decimal point for float32 (mantissa digits in scientific notation). Default:
   * as few as represent every shown value exactly, at most 8 (NumPy's default precision).
   */
  precision?: number;
  /** Summarise with `...` when the tensor has more elements than this; default 1000 (NumPy's threshold). */
  threshold?: number;
  /** Elements shown at each end of a summarised axis; default 3 (NumPy's edgeitems). */
  edgeitems?: number;
  /** Wrap rows longer than this many characters; default 75 (NumPy's linewidth). */
  linewidth?: number;
}

const FORMAT_KEYS: OptionKeys<FormatOptions> = { precision: true, threshold: true, edgeitems: true, linewidth: true };

function stridesOf(shape: number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Fewest digits `d <= cap` with which `fmt(d)` reads back as the same float32. */
function digitsNeeded(v: number, cap: number, fmt: (v: number, d: number) => string): number {
  for (let d = 0; d < cap; d++) if (Math.fround(Number(fmt(v, d))) === v) return d;
  return cap;
}

const fixed = (v: number, d: number): string => v.toFixed(d);
const expo = (v: number, d: number): string => v.toExponential(d);

/** Builds the per-element formatter of float32 values, NumPy style (shared precision, `1.` for whole numbers). */
function floatFormatter(values: number[], precision: number | undefined): (v: number) => string {
  const finite = values.filter((v) => Number.isFinite(v));
  const abs = finite.map(Math.abs).filter((v) => v > 0);
  const maxAbs = abs.length ? Math.max(...abs) : 0;
  const minAbs = abs.length ? Math.min(...abs) : 0;
  const sci = abs.length > 0 && (maxAbs >= 1e8 || minAbs < 1e-4 || maxAbs / minAbs > 1e3);
  const cap = precision ?? 8;
  const fmt = sci ? expo : fixed;
  const digits = precision ?? Math.max(0, ...finite.map((v) => digitsNeeded(v, cap, fmt)));
  return (v: number): string => {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    if (sci) {
      const [m, e] = v.toExponential(digits).split('e') as [string, string];
      const sign = e.startsWith('-') ? '-' : '+';
      const mant = digits === 0 ? `${m}.` : m;
      return `${mant}e${sign}${e.replace(/^[+-]/, '').padStart(2, '0')}`;
    }
    const s = v.toFixed(digits);
    return digits === 0 ? `${s === '-0' ? '-0' : s}.` : s;
  };
}

/**
 * A readable, NumPy-like printout: `tensor([[1., 2.], [3., 4.]], shape=[2, 2], dtype=float32)`
 * laid out one row per line. Tensors with more than `threshold` elements are summarised with
 * `...`, showing `edgeitems` entries at each end of every long axis.
 * @example
 * ```ts
 * console.log(nx.format(nx.fromArray([[1, 2.5], [3, 4]])));
 * // tensor([[1.0, 2.5],
 * //         [3.0, 4.0]], shape=[2, 2], dtype=float32)
 * ```
 * @throws ValueError if `x` has been disposed or an option is not a non-negative integer.
 */
export function format(x: Tensor, options: FormatOptions = {}): string {
  readable('format', x);
  checkOptions('nx.format', options, FORMAT_KEYS);
  const threshold = options.threshold ?? 1000;
  const edge = options.edgeitems ?? 3;
  const linewidth = options.linewidth ?? 75;
  for (const [k, v] of Object.entries({ precision: options.precision ?? 0, threshold, edgeitems: edge, linewidth })) {
    if (!Number.isInteger(v) || v < 0) throw new ValueError(`nx.format: ${k} must be a non-negative integer, got ${v}`);
  }
  const data = x.dataSync();
  const shape = x.shape;
  const rank = shape.length;
  const strides = stridesOf(shape);
  const summarise = x.size > threshold;
  const shownIdx = (n: number): number[] =>
    summarise && n > 2 * edge ? [...Array.from({ length: edge }, (_, i) => i), -1, ...Array.from({ length: edge }, (_, i) => n - edge + i)] : Array.from({ length: n }, (_, i) => i);

  // collect the shown flat offsets to decide the element format
  const shown: number[] = [];
  const collect = (axis: number, off: number): void => {
    if (axis === rank) { shown.push(off); return; }
    for (const i of shownIdx(shape[axis]!)) if (i >= 0) collect(axis + 1, off + i * strides[axis]!);
  };
  collect(0, 0);
  let cell: (off: number) => string;
  if (x.dtype === 'float32') {
    const f = floatFormatter(shown.map((o) => data[o] as number), options.precision);
    cell = (o) => f(data[o] as number);
  } else if (x.dtype === 'bool') {
    cell = (o) => (data[o] ? 'true' : 'false');
  } else {
    cell = (o) => String(data[o]);
  }
  const width = Math.max(0, ...shown.map((o) => cell(o).length));
  const pad = (s: string): string => s.padStart(width);

  const head = 'tensor(';
  const render = (axis: number, off: number): string => {
    if (axis === rank) return pad(cell(off));
    const items = shownIdx(shape[axis]!).map((i) => (i < 0 ? '...' : render(axis + 1, off + i * strides[axis]!)));
    const col = head.length + axis + 1;
    if (axis < rank - 1) return `[${items.join(`,${'\n'.repeat(rank - axis - 1)}${' '.repeat(col)}`)}]`;
    let line = '';
    let c = col;
    items.forEach((it, k) => {
      const piece = k < items.length - 1 ? `${it},` : it;
      if (k > 0) {
        if (c + 1 + piece.length > linewidth) { line += `\n${' '.repeat(col)}`; c = col; } else { line += ' '; c += 1; }
      }
      line += piece;
      c += piece.length;
    });
    return `[${line}]`;
  };
  return `${head}${render(0, 0)}, shape=${fmtShape(shape)}, dtype=${x.dtype})`;
}
