/**
 * The gradient of `RavenSparseSoftmaxXent` (the TF.js kernel of `nx.sparseSoftmaxCrossEntropy` on
 * the `tensorflow` backend): the kernel's second output, `softmax(logits) - oneHot(labels)`, times
 * the upstream gradient of each row; labels (class ids) get zeros. Internal.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { SPARSE_XENT_KERNEL } from '../backend/tensorflow-kernels.js';

let done = false;

/** Registers the gradient; later calls do nothing. @internal */
export function registerSparseXentGradient(): void {
  if (done) return;
  done = true;
  tf.registerGradient({
    kernelName: SPARSE_XENT_KERNEL,
    inputsToSave: ['labels'],
    outputsToSave: [false, true],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [labels, backprop] = saved as [tf.Tensor, tf.Tensor];
      const g = Array.isArray(dy) ? dy[0]! : dy;
      return { logits: () => tf.mul(backprop, tf.expandDims(g, 1)), labels: () => tf.zerosLike(labels) };
    },
  });
}
