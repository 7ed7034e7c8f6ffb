/**
 * Elementwise arithmetic with NumPy broadcasting, unary math, comparisons, logical ops, where, clip.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DType, Tensor } from '../tensor.js';
import { asTensor, broadcastShapes, checkDType, checkLive, promote, type TensorLike } from './_util.js';
import { safeBroadcastTo } from './empty.js';
import { ValueError } from '../errors.js';

export type { TensorLike } from './_util.js';

function binary(op: string, f: (a: Tensor, b: Tensor) => Tensor, x: TensorLike, y: TensorLike, dtype?: DType, names: readonly [string, string] = ['x', 'y']): Tensor {
  checkLive(op, names[0], x);
  checkLive(op, names[1], y);
  // a number operand becomes a scalar tensor: create it inside a tidy so it is freed
  if (!(x instanceof tf.Tensor) || !(y instanceof tf.Tensor)) return tf.tidy(() => binaryTensors(op, f, x, y, dtype));
  return binaryTensors(op, f, x, y, dtype);
}

function binaryTensors(op: string, f: (a: Tensor, b: Tensor) => Tensor, x: TensorLike, y: TensorLike, dtype?: DType): Tensor {
  const a0 = asTensor(x, y instanceof tf.Tensor ? y : undefined);
  const b0 = asTensor(y, a0);
  broadcastShapes(op, a0.shape, b0.shape);
  const dt = dtype ?? promote(a0, b0);
  if (a0.dtype === dt && b0.dtype === dt) return f(a0, b0);
  return tf.tidy(() => f(a0.dtype === dt ? a0 : tf.cast(a0, dt), b0.dtype === dt ? b0 : tf.cast(b0, dt)));
}

/** `x + y`, broadcast. Numbers are promoted to scalars. @example `nx.add(x, 1)` */
export function add(x: TensorLike, y: TensorLike): Tensor { return binary('add', tf.add, x, y); }
/** `x - y`, broadcast. */
export function sub(x: TensorLike, y: TensorLike): Tensor { return binary('sub', tf.sub, x, y); }
/** `x * y`, broadcast. */
export function mul(x: TensorLike, y: TensorLike): Tensor { return binary('mul', tf.mul, x, y); }
/** `x / y`, broadcast; always float32 (true division, as NumPy's `/`). */
export function div(x: TensorLike, y: TensorLike): Tensor { return binary('div', tf.div, x, y, 'float32'); }
/** Floor division `x // y`, broadcast: int32 for int32 inputs, else float32 (`floor(x / y)`, as NumPy). */
export function floorDiv(x: TensorLike, y: TensorLike): Tensor {
  // tf.floorDiv returns int32 for float32 inputs on the cpu backend and float32 on wasm
  return binary('floorDiv', (a, b) => (a.dtype === 'int32' ? tf.floorDiv(a, b) : tf.floor(tf.div(a, b))), x, y);
}
/** Remainder with the sign of the divisor, as NumPy's `mod`. */
export function mod(x: TensorLike, y: TensorLike): Tensor { return binary('mod', tf.mod, x, y); }
/** `x ** y`, broadcast. */
export function pow(x: TensorLike, y: TensorLike): Tensor { return binary('pow', tf.pow, x, y); }
/** Elementwise maximum, broadcast. */
export function maximum(x: TensorLike, y: TensorLike): Tensor { return binary('maximum', tf.maximum, x, y); }
/** Elementwise minimum, broadcast. */
export function minimum(x: TensorLike, y: TensorLike): Tensor { return binary('minimum', tf.minimum, x, y); }
/** `atan2(y, x)` elementwise, broadcast, float32. */
export function atan2(y: TensorLike, x: TensorLike): Tensor { return binary('atan2', tf.atan2, y, x, 'float32', ['y', 'x']); }
/** `(x - y)^2`, broadcast. */
export function squaredDifference(x: TensorLike, y: TensorLike): Tensor { return binary('squaredDifference', tf.squaredDifference, x, y); }

function unaryFloat(f: (x: Tensor) => Tensor) {
  return (x: Tensor): Tensor => (x.dtype === 'float32' ? f(x) : tf.tidy(() => f(tf.cast(x, 'float32'))));
}

/** `-x`. */
export function neg(x: Tensor): Tensor { return tf.neg(x); }
/** `|x|`. */
export function abs(x: Tensor): Tensor { return tf.abs(x); }
/** Sign of x: -1, 0 or 1. */
export function sign(x: Tensor): Tensor { return tf.sign(x); }
/** `e^x`. */
export const exp = unaryFloat(tf.exp);
/** `e^x - 1`, accurate near 0. */
export const expm1 = unaryFloat(tf.expm1);
/** Natural logarithm. */
export const log = unaryFloat(tf.log);
/** `log(1 + x)`, accurate near 0. */
export const log1p = unaryFloat(tf.log1p);
/** Square root. */
export const sqrt = unaryFloat(tf.sqrt);
/** `1 / sqrt(x)`. */
export const rsqrt = unaryFloat(tf.rsqrt);
/** `1 / x`. */
export const reciprocal = unaryFloat(tf.reciprocal);
/** `x * x`. */
export function square(x: Tensor): Tensor { return tf.square(x); }
/** Sine. */
export const sin = unaryFloat(tf.sin);
/** Cosine. */
export const cos = unaryFloat(tf.cos);
/** Tangent. */
export const tan = unaryFloat(tf.tan);
/** Hyperbolic tangent. */
export const tanh = unaryFloat(tf.tanh);
/** Logistic sigmoid `1 / (1 + e^-x)`. */
export const sigmoid = unaryFloat(tf.sigmoid);
/** Gauss error function. */
export const erf = unaryFloat(tf.erf);
/** `max(x, 0)`. */
export function relu(x: Tensor): Tensor { return tf.relu(x); }
/** `log(1 + e^x)`, stable for large x. */
export const softplus = unaryFloat(tf.softplus);
/** Round down. */
export const floor = unaryFloat(tf.floor);
/** Round up. */
export const ceil = unaryFloat(tf.ceil);
/** Round half to even, as NumPy's `round`. */
export const round = unaryFloat(tf.round);

/** Casts to a compute dtype (`float32`, `int32`, `bool`); float to int truncates toward zero. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') {
    throw new ValueError(`nx.cast: dtype ${String(dtype)} is not a compute dtype; use float32, int32 or bool (storage dtypes convert in nx.dtypes)`);
  }
  return x.dtype === dtype ? tf.clone(x) : tf.cast(x, dtype);
}

function compare(op: string, f: (a: Tensor, b: Tensor) => Tensor, x: TensorLike, y: TensorLike): Tensor {
  checkLive(op, 'x', x);
  checkLive(op, 'y', y);
  if (!(x instanceof tf.Tensor) || !(y instanceof tf.Tensor)) return tf.tidy(() => compareTensors(op, f, x, y));
  return compareTensors(op, f, x, y);
}

function compareTensors(op: string, f: (a: Tensor, b: Tensor) => Tensor, x: TensorLike, y: TensorLike): Tensor {
  const a0 = asTensor(x, y instanceof tf.Tensor ? y : undefined);
  const b0 = asTensor(y, a0);
  broadcastShapes(op, a0.shape, b0.shape);
  if (a0.dtype === b0.dtype) return f(a0, b0);
  const dt = a0.dtype === 'bool' && b0.dtype === 'bool' ? 'bool' : 'float32';
  return tf.tidy(() => f(tf.cast(a0, dt), tf.cast(b0, dt)));
}

/** `x == y` elementwise, broadcast; bool. */
export function equal(x: TensorLike, y: TensorLike): Tensor { return compare('equal', tf.equal, x, y); }
/** `x != y` elementwise, broadcast; bool. */
export function notEqual(x: TensorLike, y: TensorLike): Tensor { return compare('notEqual', tf.notEqual, x, y); }
/** `x < y` elementwise, broadcast; bool. */
export function less(x: TensorLike, y: TensorLike): Tensor { return compare('less', tf.less, x, y); }
/** `x <= y` elementwise, broadcast; bool. */
export function lessEqual(x: TensorLike, y: TensorLike): Tensor { return compare('lessEqual', tf.lessEqual, x, y); }
/** `x > y` elementwise, broadcast; bool. */
export function greater(x: TensorLike, y: TensorLike): Tensor { return compare('greater', tf.greater, x, y); }
/** `x >= y` elementwise, broadcast; bool. */
export function greaterEqual(x: TensorLike, y: TensorLike): Tensor { return compare('greaterEqual', tf.greaterEqual, x, y); }

function logical(op: string, f: (a: Tensor, b: Tensor) => Tensor, x: TensorLike, y: TensorLike): Tensor {
  // inside a tidy: a boolean operand's scalar tensor is freed
  return tf.tidy(() => {
    const a = asTensor(x);
    const b = asTensor(y);
    checkDType(op, a, ['bool'], 'x');
    checkDType(op, b, ['bool'], 'y');
    broadcastShapes(op, a.shape, b.shape);
    return f(a, b);
  });
}

/** Logical and of two bool tensors, broadcast. @throws DTypeError unless both are bool. */
export function logicalAnd(x: TensorLike, y: TensorLike): Tensor { return logical('logicalAnd', tf.logicalAnd, x, y); }
/** Logical or of two bool tensors, broadcast. */
export function logicalOr(x: TensorLike, y: TensorLike): Tensor { return logical('logicalOr', tf.logicalOr, x, y); }
/** Logical xor of two bool tensors, broadcast. */
export function logicalXor(x: TensorLike, y: TensorLike): Tensor { return logical('logicalXor', tf.logicalXor, x, y); }
/** Logical not of a bool tensor. */
export function logicalNot(x: Tensor): Tensor {
  checkDType('logicalNot', x, ['bool']);
  return tf.logicalNot(x);
}
// the wasm backend reads int32 data as float bits in IsNan/IsInf/IsFinite: integers answer directly
/** Whether each element is NaN; bool (always false for int32 and bool). */
export function isNaN(x: Tensor): Tensor { return x.dtype === 'float32' ? tf.isNaN(x) : tf.zeros(x.shape, 'bool'); }
/** Whether each element is finite (not NaN, not ±Inf); bool (always true for int32 and bool). */
export function isFinite(x: Tensor): Tensor { return x.dtype === 'float32' ? tf.isFinite(x) : tf.ones(x.shape, 'bool'); }
/** Whether each element is ±Inf; bool (always false for int32 and bool). */
export function isInf(x: Tensor): Tensor { return x.dtype === 'float32' ? tf.isInf(x) : tf.zeros(x.shape, 'bool'); }

/**
 * Picks `x` where `cond` is true and `y` elsewhere; all three broadcast together (NumPy's `where`).
 * @throws DTypeError if `cond` is not bool; ShapeError if shapes do not broadcast.
 */
export function where(cond: Tensor, x: TensorLike, y: TensorLike): Tensor {
  checkDType('where', cond, ['bool'], 'cond');
  checkLive('where', 'x', x);
  checkLive('where', 'y', y);
  return tf.tidy(() => {
    // inside the tidy: a number operand's scalar tensor is freed
    const a0 = asTensor(x, y instanceof tf.Tensor ? y : undefined);
    const b0 = asTensor(y, a0);
    const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a0.shape), b0.shape);
    const dt = a0.dtype === b0.dtype ? (a0.dtype as DType) : promote(a0, b0);
    // the wasm backend's Select gives garbage for bool branches: select in int32, cast back
    const ct = dt === 'bool' ? 'int32' : dt;
    const r = tf.where(
      cond.shape.length === shape.length && cond.shape.every((d, i) => d === shape[i]) ? cond : safeBroadcastTo(cond, shape),
      safeBroadcastTo(a0.dtype === ct ? a0 : tf.cast(a0, ct), shape),
      safeBroadcastTo(b0.dtype === ct ? b0 : tf.cast(b0, ct), shape),
    );
    return dt === 'bool' ? tf.cast(r, 'bool') : r;
  });
}

/** Clamps every element into `[lo, hi]`. @throws ValueError unless `lo <= hi` (NaN bounds included). */
export function clip(x: Tensor, lo: number, hi: number): Tensor {
  if (!(lo <= hi)) throw new ValueError(`nx.clip: need lo <= hi, got lo ${lo} and hi ${hi}`);
  return tf.clipByValue(x, lo, hi);
}
