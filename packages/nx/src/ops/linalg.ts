/**
 * Matrix products: matmul (NumPy semantics, batch broadcasting), dot, outer.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { broadcastShapes, checkDType, fmtShape } from './_util.js';
import { safeMatMul, safeSum } from './empty.js';
import { broadcastTo } from './shape.js';

/**
 * Matrix product with NumPy's `matmul` semantics: 1-d operands are promoted to a row/column and
 * the added axis is removed; leading (batch) axes broadcast.
 * @throws ShapeError naming both shapes when the contracted lengths differ or batches do not broadcast.
 * @example `nx.matmul(x /* [b, n, k] *\/, w /* [k, m] *\/)` gives `[b, n, m]`.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkDType('matmul', a, ['float32', 'int32'], 'a');
  checkDType('matmul', b, ['float32', 'int32'], 'b');
  if (a.rank === 0 || b.rank === 0) throw new ShapeError(`nx.matmul: operands must have rank >= 1, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  const ka = a.shape[a.rank - 1]!;
  const kb = b.rank === 1 ? b.shape[0]! : b.shape[b.rank - 2]!;
  if (ka !== kb) throw new ShapeError(`nx.matmul: contracted lengths differ: ${fmtShape(a.shape)} @ ${fmtShape(b.shape)} (${ka} vs ${kb})`);
  if (a.rank === 2 && b.rank === 2) return a.dtype === b.dtype ? safeMatMul(a, b) : tf.tidy(() => safeMatMul(tf.cast(a, 'float32'), tf.cast(b, 'float32')));
  return tf.tidy(() => {
    let a2 = a.dtype === b.dtype ? a : tf.cast(a, 'float32');
    let b2 = a.dtype === b.dtype ? b : tf.cast(b, 'float32');
    const aVec = a.rank === 1;
    const bVec = b.rank === 1;
    if (aVec) a2 = tf.reshape(a2, [1, ka]);
    if (bVec) b2 = tf.reshape(b2, [kb, 1]);
    if (b2.rank === 2 && a2.rank > 2) {
      // [..., n, k] @ [k, m]: one plain matmul over the flattened leading axes, no broadcast copy
      const lead = a2.shape.slice(0, -1);
      const rows = lead.reduce((p, q) => p * q, 1);
      const out2 = tf.reshape(safeMatMul(tf.reshape(a2, [rows, ka]), b2), [...lead, b2.shape[1]!]);
      return bVec ? tf.reshape(out2, lead) : out2;
    }
    let batch: number[];
    try {
      batch = broadcastShapes('matmul', a2.shape.slice(0, -2), b2.shape.slice(0, -2));
    } catch (e) {
      throw new ShapeError(`nx.matmul: batch axes do not broadcast: ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`, { cause: e });
    }
    const n = a2.shape[a2.rank - 2]!;
    const m = b2.shape[b2.rank - 1]!;
    const a3 = broadcastTo(a2, [...batch, n, ka]);
    const b3 = broadcastTo(b2, [...batch, kb, m]);
    const bs = batch.reduce((p, q) => p * q, 1);
    let out = batch.length === 0 ? safeMatMul(a3, b3) : tf.reshape(safeMatMul(tf.reshape(a3, [bs, n, ka]), tf.reshape(b3, [bs, kb, m])), [...batch, n, m]);
    const shape = [...batch, ...(aVec ? [] : [n]), ...(bVec ? [] : [m])];
    out = tf.reshape(out, shape);
    return out;
  });
}

/**
 * Dot product with NumPy's `dot` semantics: 1-d·1-d is the inner product (a scalar); 2-d·2-d is
 * the matrix product; a 0-d operand multiplies elementwise; otherwise the sum over the last axis
 * of `a` and the second-to-last axis of `b` (the last one if `b` is 1-d), with shape
 * `a.shape[:-1] + b.shape[:-2] + b.shape[-1:]`. (For batched matrix products use
 * {@link matmul}, which broadcasts batch axes instead.)
 * @throws ShapeError naming both shapes when the contracted lengths differ.
 */
export function dot(a: Tensor, b: Tensor): Tensor {
  checkDType('dot', a, ['float32', 'int32'], 'a');
  checkDType('dot', b, ['float32', 'int32'], 'b');
  if (a.rank === 0 || b.rank === 0) return tf.tidy(() => tf.mul(a, b));
  const ka = a.shape[a.rank - 1]!;
  const kAxis = b.rank === 1 ? 0 : b.rank - 2;
  const kb = b.shape[kAxis]!;
  if (ka !== kb) throw new ShapeError(`nx.dot: contracted lengths differ: ${fmtShape(a.shape)} . ${fmtShape(b.shape)} (${ka} vs ${kb})`);
  if (a.rank === 1 && b.rank === 1) return tf.tidy(() => safeSum(tf.mul(a, b)));
  if (b.rank <= 2) return matmul(a, b);
  return tf.tidy(() => {
    // move b's contracted axis first: [k, rest...] -> [k, prod(rest)], one plain matmul
    const perm = [kAxis, ...b.shape.map((_, i) => i).filter((i) => i !== kAxis)];
    const bt = tf.reshape(tf.transpose(b, perm), [kb, b.shape.filter((_, i) => i !== kAxis).reduce((p, q) => p * q, 1)]);
    const a2 = tf.reshape(a, [a.shape.slice(0, -1).reduce((p, q) => p * q, 1), ka]);
    const dt = a.dtype === b.dtype ? a.dtype : 'float32';
    const out = safeMatMul(a2.dtype === dt ? a2 : tf.cast(a2, dt), bt.dtype === dt ? bt : tf.cast(bt, dt));
    return tf.reshape(out, [...a.shape.slice(0, -1), ...b.shape.filter((_, i) => i !== kAxis)]);
  });
}

/** Outer product of two 1-d tensors: `[n] x [m] -> [n, m]`. */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.rank !== 1 || b.rank !== 1) throw new ShapeError(`nx.outer: expected two 1-d tensors, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return tf.tidy(() => tf.mul(tf.reshape(a, [-1, 1]), tf.reshape(b, [1, -1])));
}

/**
 * The affine map of a fully connected layer, `x @ weight^T + bias`, as PyTorch's `F.linear`.
 * `weight` is `[out, in]` (PyTorch's layout) and is never copied transposed: the product runs
 * with the transposed-operand flag, so training keeps no `weight^T` copy per layer.
 * @param x - `[..., in]`. @param weight - `[out, in]`. @param bias - `[out]`, optional.
 * @returns `[..., out]`.
 * @throws ShapeError naming the shapes when `x`'s last axis is not `in` or `bias` is not `[out]`.
 * @example `nx.linear(nx.ones([2, 3]), nx.ones([4, 3]))` is a `[2, 4]` tensor of 3s.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  checkDType('linear', x, ['float32'], 'x');
  checkDType('linear', weight, ['float32'], 'weight');
  if (weight.rank !== 2 || x.rank < 1) throw new ShapeError(`nx.linear: expected x [..., in] and weight [out, in], got ${fmtShape(x.shape)} and ${fmtShape(weight.shape)}`);
  const [out, inF] = weight.shape as [number, number];
  if (x.shape[x.rank - 1] !== inF) throw new ShapeError(`nx.linear: x ${fmtShape(x.shape)} has last axis ${x.shape[x.rank - 1]}, weight ${fmtShape(weight.shape)} expects ${inF}`);
  if (bias !== undefined && (bias.rank !== 1 || bias.shape[0] !== out)) throw new ShapeError(`nx.linear: bias ${fmtShape(bias.shape)} should be [${out}] for weight ${fmtShape(weight.shape)}`);
  return tf.tidy(() => {
    const x2 = x.rank === 2 ? x : tf.reshape(x, [x.shape.slice(0, -1).reduce((p, q) => p * q, 1), inF]);
    let y = safeMatMul(x2, weight, false, true);
    if (bias !== undefined) y = tf.add(y, bias);
    return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), out]);
  });
}
