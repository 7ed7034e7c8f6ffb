/**
 * Creating tensors: zeros, ones, full, arange, linspace, eye, fromArray and the `*Like` family.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { checkOptions, type OptionKeys } from '../options.js';
import type { DType, NestedArray, Shape, Tensor, TypedArray } from '../tensor.js';
import { ownedTensor } from '../backend/owned-tensor.js';
import { fmtShape } from './_util.js';

function checkShape(op: string, shape: Shape): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(`nx.${op}: shape ${JSON.stringify(shape)} must be a list of non-negative integers`);
  }
}

function checkDtype(op: string, dtype: string): asserts dtype is DType {
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
    throw new DTypeError(`nx.${op}: dtype ${dtype} is not a compute dtype; use float32, int32 or bool`);
  }
}

/** A tensor of zeros. @param dtype - default `float32`. @example `nx.zeros([2, 3])` */
export function zeros(shape: Shape, dtype: DType = 'float32'): Tensor {
  checkShape('zeros', shape);
  checkDtype('zeros', dtype);
  return tf.zeros(shape, dtype);
}

/** A tensor of ones. @param dtype - default `float32`. */
export function ones(shape: Shape, dtype: DType = 'float32'): Tensor {
  checkShape('ones', shape);
  checkDtype('ones', dtype);
  return tf.ones(shape, dtype);
}

/** A tensor filled with `value`. @param dtype - default `bool` for booleans, else `float32`. */
export function full(shape: Shape, value: number | boolean, dtype?: DType): Tensor {
  checkShape('full', shape);
  const dt = dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  checkDtype('full', dt);
  return tf.fill(shape, typeof value === 'boolean' ? Number(value) : value, dt);
}

/** A 0-d tensor. @param dtype - default `bool` for booleans, else `float32`. */
export function scalar(value: number | boolean, dtype?: DType): Tensor {
  const dt = dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  checkDtype('scalar', dt);
  return tf.scalar(value, dt);
}

/** Zeros with the shape (and by default the dtype) of `x`. */
export function zerosLike(x: Tensor, dtype?: DType): Tensor {
  return tf.zeros(x.shape, dtype ?? (x.dtype as DType));
}
/** Ones with the shape (and by default the dtype) of `x`. */
export function onesLike(x: Tensor, dtype?: DType): Tensor {
  return tf.ones(x.shape, dtype ?? (x.dtype as DType));
}
/** `value` everywhere, with the shape (and by default the dtype) of `x`. */
export function fullLike(x: Tensor, value: number | boolean, dtype?: DType): Tensor {
  return full(x.shape, value, dtype ?? (x.dtype as DType));
}

/**
 * Evenly spaced values in `[start, stop)`, as NumPy's `arange`: `arange(5)` is `[0..4]`.
 * @param dtype - default `int32` when start, stop and step are integers, else `float32`.
 * @throws ValueError when `step` is 0.
 */
export function arange(start: number, stop?: number, step = 1, dtype?: DType): Tensor {
  if (stop === undefined) { stop = start; start = 0; }
  if (step === 0) throw new ValueError('nx.arange: step must not be 0');
  const dt = dtype ?? (Number.isInteger(start) && Number.isInteger(stop) && Number.isInteger(step) ? 'int32' : 'float32');
  checkDtype('arange', dt);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const data = dt === 'int32' ? new Int32Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return tf.tensor1d(data, dt);
}

/** `num` evenly spaced float32 values from `start` to `stop` inclusive (`endpoint` default true). */
export function linspace(start: number, stop: number, num: number, endpoint = true): Tensor {
  if (!Number.isInteger(num) || num < 0) throw new ValueError(`nx.linspace: num must be a non-negative integer, got ${num}`);
  const data = new Float32Array(num);
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  for (let i = 0; i < num; i++) data[i] = start + i * step;
  if (endpoint && num > 1) data[num - 1] = stop;
  return tf.tensor1d(data, 'float32');
}

/** An `n x m` matrix with ones on the diagonal `k` (0 main, >0 above). @param dtype - default `float32`. */
export function eye(n: number, m = n, k = 0, dtype: DType = 'float32'): Tensor {
  checkShape('eye', [n, m]);
  const data = dtype === 'float32' ? new Float32Array(n * m) : dtype === 'int32' ? new Int32Array(n * m) : new Uint8Array(n * m);
  for (let i = 0; i < n; i++) {
    const j = i + k;
    if (j >= 0 && j < m) data[i * m + j] = 1;
  }
  return tf.tensor(data, [n, m], dtype);
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0] as NestedArray;
  }
  return shape;
}

function flattenChecked(data: NestedArray, shape: number[], depth: number, out: (number | boolean)[]): void {
  if (depth === shape.length) {
    if (Array.isArray(data)) throw new ShapeError(`nx.fromArray: ragged nested array (expected a scalar at depth ${depth})`);
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    throw new ShapeError(`nx.fromArray: ragged nested array: expected length ${shape[depth]} at depth ${depth}, got ${Array.isArray(data) ? data.length : 'a scalar'}`);
  }
  for (const d of data) flattenChecked(d, shape, depth + 1, out);
}

/** Options of {@link fromArray}. */
export interface FromArrayOptions {
  /** The shape; required for typed arrays that are not 1-d, inferred from nesting otherwise. */
  shape?: Shape;
  /** default: `bool` for booleans, `int32` for an Int32Array, else `float32`. */
  dtype?: DType;
  /**
   * With a typed array of the tensor's dtype (Float32Array for float32, Int32Array for int32):
   * `true` makes the tensor hold its own copy of the values now, so the array may be changed or
   * reused as soon as `fromArray` returns (a buffer refilled for each batch). Default `false`: the
   * tensor may keep a reference to the array (the cpu backend for its whole life, the native
   * backend until its first use), so the array must not change afterwards. Other data is always
   * copied.
   */
  copy?: boolean;
}

const FROM_ARRAY_KEYS: OptionKeys<FromArrayOptions> = { shape: true, dtype: true, copy: true };

/**
 * Makes a tensor from nested arrays, a typed array or a number.
 * @throws ShapeError for ragged arrays or a shape whose size does not match the data.
 * @example `nx.fromArray([[1, 2], [3, 4]])` (float32, shape [2, 2]); `nx.fromArray(new Int32Array(6), {shape: [2, 3]})`
 */
export function fromArray(data: NestedArray | TypedArray, options: FromArrayOptions = {}): Tensor {
  checkOptions('nx.fromArray', options, FROM_ARRAY_KEYS);
  if (options.copy !== undefined && typeof options.copy !== 'boolean') throw new ValueError(`nx.fromArray: copy must be true or false, got ${String(options.copy)}`);
  let flat: TypedArray | (number | boolean)[];
  let shape: number[];
  let inferredDtype: DType;
  if (ArrayBuffer.isView(data)) {
    flat = data;
    shape = options.shape ?? [data.length];
    inferredDtype = data instanceof Int32Array ? 'int32' : data instanceof Uint8Array && options.dtype === 'bool' ? 'bool' : data instanceof Uint8Array ? 'int32' : 'float32';
  } else {
    shape = inferShape(data);
    const out: (number | boolean)[] = [];
    flattenChecked(data, shape, 0, out);
    flat = out;
    inferredDtype = out.length > 0 && typeof out[0] === 'boolean' ? 'bool' : 'float32';
    if (options.shape) shape = options.shape;
  }
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== flat.length) throw new ShapeError(`nx.fromArray: shape ${fmtShape(shape)} holds ${size} elements but the data has ${flat.length}`);
  const dtype = options.dtype ?? inferredDtype;
  checkDtype('fromArray', dtype);
  if (dtype === 'bool') return tf.tensor(Uint8Array.from(flat as ArrayLike<number | boolean>, (v) => (v ? 1 : 0)), shape, 'bool');
  if (ArrayBuffer.isView(flat)) {
    if (dtype === 'int32' && !(flat instanceof Int32Array)) return tf.tensor(Int32Array.from(flat as ArrayLike<number>), shape, 'int32');
    if (dtype === 'float32' && !(flat instanceof Float32Array)) return tf.tensor(Float32Array.from(flat as ArrayLike<number>), shape, 'float32');
    return options.copy === true ? ownedTensor(flat, shape, dtype) : tf.tensor(flat, shape, dtype);
  }
  return tf.tensor(flat.map(Number), shape, dtype);
}
