/**
 * Softmax cross-entropy against integer class ids (`nx.sparseSoftmaxCrossEntropy`): one
 * TensorFlow kernel on the native backend, the composite formula elsewhere.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { SPARSE_XENT_KERNEL } from '../backend/tensorflow-kernels.js';
import { DTypeError, IndexError, ShapeError } from '../errors.js';
import { hostCheck, isTracing } from '../jit/host.js';
import type { Tensor } from '../tensor.js';
import { checkLive, fmtShape } from './_util.js';

const OP = 'nx.sparseSoftmaxCrossEntropy';

/** Labels already checked against a class count (the same tensor is not read twice eagerly). */
const checked = new WeakMap<Tensor, number>();

function checkLabels(labels: Tensor, classes: number): void {
  // while tracing the check must run: the trace then checks that argument before every call
  if (!isTracing() && checked.get(labels) === classes) return;
  const now = hostCheck(labels, (ids) => {
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i]!;
      if (!(v >= 0 && v < classes)) {
        throw new IndexError(`${OP}: label ${v} at flat index ${i} is outside [0, ${classes}) (${classes} classes); class ids count from 0`);
      }
    }
  });
  if (now) checked.set(labels, classes);
}

/** `-log softmax(logits)[label]` per row, as `-sum(oneHot(labels) * logSoftmax(logits), -1)`. */
function composite(logits: Tensor, labels: Tensor): Tensor {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(tf.oneHot(labels, logits.shape[logits.rank - 1]!, 1, 0, 'float32'), tf.logSoftmax(logits)), -1)));
}

/**
 * The softmax cross-entropy of each row of `logits` against an integer class id:
 * `-log(softmax(logits)[..., label])`, computed stably (as TensorFlow's
 * `sparse_softmax_cross_entropy_with_logits`, PyTorch's `cross_entropy(..., reduction='none')`).
 * Differentiable with respect to `logits` (the gradient is `softmax(logits) - oneHot(labels)`
 * times the upstream gradient).
 *
 * - `logits`: float32 `[..., C]`; `labels`: int32 of shape `logits.shape[:-1]`, each in `[0, C)`.
 * - Result: float32 of the labels' shape.
 *
 * On the `tensorflow` backend the loss and its gradient come from one TensorFlow kernel
 * (`SparseSoftmaxCrossEntropyWithLogits`), eagerly and in `nx.jit` graphs, instead of the dozen
 * elementwise and reduction kernels of the formula (log-softmax, one-hot, product, sum and their
 * gradients); the values agree to float32 rounding. Elsewhere it is that formula.
 * @throws ShapeError for labels of another shape or a scalar `logits`; DTypeError for
 *   non-float32 logits or non-int32 labels; IndexError for a label outside `[0, C)` (read on the
 *   host; inside `nx.jit`, checked before every call, see {@link hostCheck}).
 * @example
 * ```ts
 * const logits = nx.fromArray([[2, 0, -1], [0.5, 0.5, 3]]);
 * const losses = nx.sparseSoftmaxCrossEntropy(logits, nx.fromArray([0, 2], { dtype: 'int32' })); // [0.17, 0.16]
 * ```
 */
export function sparseSoftmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  checkLive('sparseSoftmaxCrossEntropy', 'logits', logits);
  checkLive('sparseSoftmaxCrossEntropy', 'labels', labels);
  if (logits.rank < 1) throw new ShapeError(`${OP}: logits must have a class axis [..., C], got a scalar`);
  if (logits.dtype !== 'float32') throw new DTypeError(`${OP}: logits must be float32, got ${logits.dtype}`);
  if (labels.dtype !== 'int32') throw new DTypeError(`${OP}: labels must be int32 class ids, got ${labels.dtype}; cast them with nx.cast(labels, 'int32')`);
  const rows = logits.shape.slice(0, -1);
  if (labels.rank !== rows.length || labels.shape.some((d, i) => d !== rows[i])) {
    throw new ShapeError(`${OP}: labels must have the shape of logits without the class axis, ${fmtShape(rows)}; got ${fmtShape(labels.shape)}`);
  }
  const classes = logits.shape[logits.rank - 1]!;
  checkLabels(labels, classes);
  if (tf.getKernel(SPARSE_XENT_KERNEL, tf.getBackend()) === undefined || logits.size === 0) return composite(logits, labels);
  return tf.tidy(() => {
    const n = labels.size;
    // two outputs: the losses, and their gradient (kept by the tape when it records)
    const [loss] = tf.engine().runKernel(SPARSE_XENT_KERNEL, { logits: tf.reshape(logits, [n, classes]), labels: tf.reshape(labels, [n]) }) as Tensor[];
    return tf.reshape(loss!, labels.shape);
  });
}
