/**
 * Matrix products: matmul (NumPy semantics, batch broadcasting), dot, outer.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { broadcastShapes, checkDType, fmtShape } from './_util.js';

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
  if (a.rank === 2 && b.rank === 2) return a.dtype === b.dtype ? tf.matMul(a, b) : tf.tidy(() => tf.matMul(tf.cast(a, 'float32'), tf.cast(b, 'float32')));
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
      const out2 = tf.reshape(tf.matMul(tf.reshape(a2, [-1, ka]), b2), [...lead, b2.shape[1]!]);
      return bVec ? tf.reshape(out2, lead) : out2;
    }
    const batch = broadcastShapes('matmul', a2.shape.slice(0, -2), b2.shape.slice(0, -2));
    const n = a2.shape[a2.rank - 2]!;
    const m = b2.shape[b2.rank - 1]!;
    const a3 = tf.broadcastTo(a2, [...batch, n, ka]);
    const b3 = tf.broadcastTo(b2, [...batch, kb, m]);
    const bs = batch.reduce((p, q) => p * q, 1);
    let out = batch.length === 0 ? tf.matMul(a3, b3) : tf.reshape(tf.matMul(tf.reshape(a3, [bs, n, ka]), tf.reshape(b3, [bs, kb, m])), [...batch, n, m]);
    const shape = [...batch, ...(aVec ? [] : [n]), ...(bVec ? [] : [m])];
    out = tf.reshape(out, shape);
    return out;
  });
}

/**
 * Dot product, as NumPy's `dot` for the common cases: 1-d·1-d is the inner product (a scalar),
 * otherwise a matrix product over the last axis of `a` and the second-to-last of `b`.
 */
export function dot(a: Tensor, b: Tensor): Tensor {
  if (a.rank === 1 && b.rank === 1) {
    if (a.shape[0] !== b.shape[0]) throw new ShapeError(`nx.dot: lengths differ: ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
    return tf.tidy(() => tf.sum(tf.mul(a, b)));
  }
  return matmul(a, b);
}

/** Outer product of two 1-d tensors: `[n] x [m] -> [n, m]`. */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (a.rank !== 1 || b.rank !== 1) throw new ShapeError(`nx.outer: expected two 1-d tensors, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  return tf.tidy(() => tf.mul(tf.reshape(a, [-1, 1]), tf.reshape(b, [1, -1])));
}
