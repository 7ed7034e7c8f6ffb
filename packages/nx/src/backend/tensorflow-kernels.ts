/**
 * nx's kernels for the `tensorflow` backend (tfjs-node over the TensorFlow C API):
 * - `BatchMatMul` of two matrices (both operands rank 2) runs TensorFlow's `MatMul` instead of
 *   `BatchMatMulV2`, which tfjs-node issues for every product. Same result; TensorFlow 2.21's
 *   oneDNN `BatchMatMulV2` costs 40-65 us for a 128x10x128 product where `MatMul` takes 12-20 us
 *   (a chain of products in one `tf.function` of TensorFlow 2.21, on a 2-core build machine), and small models'
 *   steps are mostly such products. Eager ops and `nx.jit` graphs (which record the ops the
 *   kernels issue) both get it; batched products keep `BatchMatMulV2`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/** The part of tfjs-node's `NodeJSKernelBackend` these kernels use. */
interface NodeKernelBackend {
  binding: { TF_ATTR_BOOL: number; TF_ATTR_TYPE: number; TF_FLOAT: number };
  executeSingleOutput(name: string, attrs: Array<{ name: string; type: number; value: unknown }>, inputs: tf.TensorInfo[]): tf.TensorInfo;
}

interface BatchMatMulArgs {
  inputs: { a: tf.TensorInfo; b: tf.TensorInfo };
  backend: NodeKernelBackend;
  attrs: { transposeA: boolean; transposeB: boolean };
}

let registered = false;

/** `BatchMatMul`: two float32 matrices go through `MatMul`, anything else through `original`. */
function batchMatMul(original: tf.KernelFunc): tf.KernelFunc {
  return ((args: BatchMatMulArgs) => {
    const { a, b } = args.inputs;
    if (a.shape.length !== 2 || b.shape.length !== 2 || a.dtype !== 'float32' || b.dtype !== 'float32') return original(args as never);
    const { binding } = args.backend;
    return args.backend.executeSingleOutput('MatMul', [
      { name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
      { name: 'transpose_a', type: binding.TF_ATTR_BOOL, value: args.attrs.transposeA },
      { name: 'transpose_b', type: binding.TF_ATTR_BOOL, value: args.attrs.transposeB },
    ], [a, b]);
  }) as unknown as tf.KernelFunc;
}

/**
 * Registers nx's kernels for the `tensorflow` backend, wrapping tfjs-node's; later calls do
 * nothing. Called right after that backend is activated.
 * @internal
 */
export function registerTensorflowKernels(): void {
  if (registered) return;
  registered = true;
  const original = tf.getKernel('BatchMatMul', 'tensorflow');
  if (original === undefined) return; // a tfjs-node without it: nothing to improve
  tf.unregisterKernel('BatchMatMul', 'tensorflow');
  tf.registerKernel({ ...original, kernelFunc: batchMatMul(original.kernelFunc) });
}
