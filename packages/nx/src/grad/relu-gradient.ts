/**
 * The gradient of `nx.relu` (TF.js' `Relu` kernel): `dy` where `x > 0`, else 0. On the
 * `tensorflow` backend it is one TensorFlow kernel (`ReluGrad`, through the TF.js kernel
 * `RavenReluGrad`), where TF.js' own gradient, `dy * cast(step(x))`, runs seven on tfjs-node: a
 * training step of an MNIST MLP spent about 50 us on them, eagerly and in `nx.jit` graphs, and a
 * CNN's activations pay seven passes over memory instead of one. Elsewhere (`wasm`, `cpu`) it is
 * TF.js' formula, as before. The two differ only where `x` is NaN (TF.js: NaN, TensorFlow: 0, as
 * for any `x <= 0`) and in the sign of zero gradients (`dy * 0` is -0 for a negative `dy`).
 * `RavenReluGrad` is differentiable itself (in `dy`, the same mask; in `x`, zero), so gradients of
 * gradients go through it. Internal.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { RELU_GRAD_KERNEL } from '../backend/tensorflow-kernels.js';

/** Whether the active backend runs `RavenReluGrad` for tensors of this dtype. */
function fused(dy: tf.Tensor, x: tf.Tensor): boolean {
  return dy.dtype === 'float32' && x.dtype === 'float32' && tf.getKernel(RELU_GRAD_KERNEL, tf.getBackend()) !== undefined;
}

/** `dy` masked by `x > 0`. */
function reluGrad(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  if (fused(dy, x)) return tf.engine().runKernel(RELU_GRAD_KERNEL, { dy, x }) as tf.Tensor;
  return tf.mul(dy, tf.cast(tf.step(x), 'float32'));
}

const RELU: tf.GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const g = Array.isArray(dy) ? dy[0]! : dy;
    return { x: () => reluGrad(g, saved[0]!) };
  },
};

const RELU_GRAD: tf.GradConfig = {
  kernelName: RELU_GRAD_KERNEL,
  inputsToSave: ['x'],
  gradFunc: (ddy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const g = Array.isArray(ddy) ? ddy[0]! : ddy;
    const x = saved[0]!;
    return { dy: () => reluGrad(g, x), x: () => tf.zerosLike(x) };
  },
};

/**
 * Makes these the gradients of `Relu` and `RavenReluGrad`. Cheap when they already are; called
 * before each gradient computation, because the TF.js build tfjs-node loads (with the `tensorflow`
 * backend, after nx) registers TF.js' gradients again, over this one. @internal
 */
export function registerReluGradient(): void {
  for (const config of [RELU, RELU_GRAD]) if (tf.getGradient(config.kernelName) !== config) tf.registerGradient(config);
}
