/**
 * Zero gradients for TF.js kernels that have none registered. Comparisons and logical ops are
 * piecewise constant, so their gradient is zero; without a registered function the TF.js tape
 * fails with "gradient function not found for Greater" as soon as a comparison of a
 * differentiated tensor feeds `where` (`nx.where(nx.greater(x, 0), x, 0)`). Internal.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

const BINARY = ['Greater', 'Less', 'LessEqual', 'Equal', 'NotEqual', 'LogicalAnd', 'LogicalOr', 'LogicalXor'];
const UNARY = ['LogicalNot', 'All', 'Any'];

let done = false;

/** Registers zero gradients where TF.js has none; later calls do nothing. @internal */
export function registerZeroGradients(): void {
  if (done) return;
  done = true;
  for (const kernelName of BINARY) {
    if (tf.getGradient(kernelName) !== undefined) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ['a', 'b'],
      gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => ({
        a: () => tf.zerosLike(saved[0]!),
        b: () => tf.zerosLike(saved[1]!),
      }),
    });
  }
  for (const kernelName of UNARY) {
    if (tf.getGradient(kernelName) !== undefined) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ['x'],
      gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => ({ x: () => tf.zerosLike(saved[0]!) }),
    });
  }
}
