/**
 * nx's kernels for the `tensorflow` backend (tfjs-node over the TensorFlow C API):
 * - `BatchMatMul` of two matrices (both operands rank 2) runs TensorFlow's `MatMul` instead of
 *   `BatchMatMulV2`, which tfjs-node issues for every product. Same result; TensorFlow 2.21's
 *   oneDNN `BatchMatMulV2` costs 40-65 us for a 128x10x128 product where `MatMul` takes 12-20 us
 *   (a chain of products in one `tf.function` of TensorFlow 2.21, on a 2-core build machine), and small models'
 *   steps are mostly such products. Eager ops and `nx.jit` graphs (which record the ops the
 *   kernels issue) both get it; batched products keep `BatchMatMulV2`. Only with a binding that
 *   blocks signals around TensorFlow's kernels (`binding.raven.signalsGuarded`, see
 *   `packages/nx-native/binding/raven_signals.h`): `MatMul`'s oneDNN kernel corrupts the heap
 *   when a signal lands on its thread, so with an older binding nx leaves tfjs-node's product
 *   alone and says once to rebuild the binding.
 * - `RavenAdamUpdate` (`nx.adamUpdate`): Adam's moment update as one TensorFlow op, which the
 *   binding `raven-nx-native` builds registers with TensorFlow (`packages/nx-native/binding/raven_adam.cc`).
 *   Only on the CPU: on a GPU the op would pull the tensors to the host, so `nx.adamUpdate` runs
 *   its elementwise ops there. The binding registers `RavenAdamApply` beside it (the update and
 *   `param + update * lr` in one), which only `nx.jit`'s graph rewrite uses (no TF.js kernel).
 * - `RavenReluGrad` (the gradient of `nx.relu`, see `grad/relu-gradient.ts`): TensorFlow's own
 *   `ReluGrad` op, one kernel, where TF.js' gradient issues seven on tfjs-node (`step` as
 *   `IsNan`, `Greater`, `Fill` and two `Select`, then `Cast` and `Mul`). On CPU and GPU alike.
 * - `RavenSparseSoftmaxXent` (`nx.sparseSoftmaxCrossEntropy`): TensorFlow's
 *   `SparseSoftmaxCrossEntropyWithLogits`, the loss per row and its gradient from one kernel. On
 *   CPU and GPU alike.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBinding } from './native.js';

/** The part of tfjs-node's `NodeJSKernelBackend` these kernels use. */
interface NodeKernelBackend {
  binding: { TF_ATTR_BOOL: number; TF_ATTR_TYPE: number; TF_ATTR_FLOAT: number; TF_ATTR_INT: number; TF_FLOAT: number; TF_INT32: number };
  executeSingleOutput(name: string, attrs: Array<{ name: string; type: number; value: unknown }>, inputs: tf.TensorInfo[]): tf.TensorInfo;
  executeMultipleOutputs(name: string, attrs: Array<{ name: string; type: number; value: unknown }>, inputs: tf.TensorInfo[], numOutputs: number): tf.TensorInfo[];
}

interface BatchMatMulArgs {
  inputs: { a: tf.TensorInfo; b: tf.TensorInfo };
  backend: NodeKernelBackend;
  attrs: { transposeA: boolean; transposeB: boolean };
}

let registered = false;

/** The TF.js kernel of `nx.adamUpdate` on this backend, named as the TensorFlow op it runs. @internal */
export const ADAM_UPDATE_KERNEL = 'RavenAdamUpdate';

/** The binding's op that also applies the update to the parameter (see `jit/fold-param-updates.ts`). @internal */
export const ADAM_APPLY_OP = 'RavenAdamApply';

/** The TF.js kernel of `nx.relu`'s gradient on this backend (TensorFlow's `ReluGrad`). @internal */
export const RELU_GRAD_KERNEL = 'RavenReluGrad';

/** The TF.js kernel of `nx.sparseSoftmaxCrossEntropy` on this backend: outputs the losses and their gradient. @internal */
export const SPARSE_XENT_KERNEL = 'RavenSparseSoftmaxXent';

/** The binding's fused ops registered with TensorFlow in this process. */
const fusedOps = new Set<string>();

/** Whether the binding registered the fused TensorFlow op `name` (CPU only; none on a GPU). @internal */
export function fusedOpRegistered(name: string): boolean {
  return fusedOps.has(name);
}

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

interface AdamUpdateArgs {
  inputs: { grad: tf.TensorInfo; mu: tf.TensorInfo; nu: tf.TensorInfo; epsHat: tf.TensorInfo; stepScale: tf.TensorInfo };
  backend: NodeKernelBackend;
  attrs: { b1: number; oneMinusB1: number; b2: number; oneMinusB2: number };
}

/** `RavenAdamUpdate`: the binding's fused op, three outputs. */
function adamUpdate(args: AdamUpdateArgs): tf.TensorInfo[] {
  const { grad, mu, nu, epsHat, stepScale } = args.inputs;
  const f = args.backend.binding.TF_ATTR_FLOAT;
  const { b1, oneMinusB1, b2, oneMinusB2 } = args.attrs;
  return args.backend.executeMultipleOutputs(ADAM_UPDATE_KERNEL, [
    { name: 'N', type: args.backend.binding.TF_ATTR_INT, value: 1 }, // the gradient in one piece
    { name: 'b1', type: f, value: b1 },
    { name: 'one_minus_b1', type: f, value: oneMinusB1 },
    { name: 'b2', type: f, value: b2 },
    { name: 'one_minus_b2', type: f, value: oneMinusB2 },
  ], [grad, mu, nu, epsHat, stepScale], 3);
}

interface ReluGradArgs {
  inputs: { dy: tf.TensorInfo; x: tf.TensorInfo };
  backend: NodeKernelBackend;
}

/** `RavenReluGrad`: `dy` where `x > 0`, else 0, as TensorFlow's `ReluGrad(gradients, features)`. */
function reluGrad(args: ReluGradArgs): tf.TensorInfo {
  const { dy, x } = args.inputs;
  const { binding } = args.backend;
  return args.backend.executeSingleOutput('ReluGrad', [{ name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT }], [dy, x]);
}

interface SparseXentArgs {
  inputs: { logits: tf.TensorInfo; labels: tf.TensorInfo };
  backend: NodeKernelBackend;
}

/** `RavenSparseSoftmaxXent`: logits `[n, C]` float32, labels `[n]` int32 -> losses `[n]`, gradient `[n, C]`. */
function sparseXent(args: SparseXentArgs): tf.TensorInfo[] {
  const { logits, labels } = args.inputs;
  const { binding } = args.backend;
  return args.backend.executeMultipleOutputs('SparseSoftmaxCrossEntropyWithLogits', [
    { name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: 'Tlabels', type: binding.TF_ATTR_TYPE, value: binding.TF_INT32 },
  ], [logits, labels], 2);
}

/**
 * Registers the binding's fused ops with TensorFlow and their TF.js kernels, when the binding
 * has them (built by a `raven-nx-native` that knows them) and ops run on the CPU. A binding that
 * fails to register them only loses the speed: `nx.adamUpdate` then runs its elementwise ops.
 */
function registerFusedKernels(binding: NativeBinding): void {
  const register = binding.raven?.['registerFusedOps'];
  if (typeof register !== 'function' || binding.isUsingGpuDevice()) return;
  let names: string[];
  try {
    names = (register as () => string[])();
  } catch {
    return;
  }
  for (const name of names) fusedOps.add(name);
  if (names.includes(ADAM_UPDATE_KERNEL) && tf.getKernel(ADAM_UPDATE_KERNEL, 'tensorflow') === undefined) {
    tf.registerKernel({ kernelName: ADAM_UPDATE_KERNEL, backendName: 'tensorflow', kernelFunc: adamUpdate as unknown as tf.KernelFunc });
  }
}

/**
 * Whether the binding blocks asynchronous signals while TensorFlow runs kernels (built by a
 * `raven-nx-native` with `raven_signals.h`). @internal
 */
export function signalsGuarded(binding: NativeBinding | undefined): boolean {
  const guarded = binding?.raven?.['signalsGuarded'];
  return typeof guarded === 'function' && (guarded as () => unknown)() === true;
}

/** What nx says once when `raven-nx-native` built the binding before it guarded signals. */
const UNGUARDED_BINDING_WARNING =
  'nx: this native binding was built by an older raven-nx-native, which does not keep signals out of TensorFlow\'s kernels: ' +
  'TensorFlow 2.21\'s oneDNN matrix product (MatMul) corrupts memory when a signal (a profiler, a child process exiting, ' +
  'a Ctrl-C handler, a terminal resize) arrives while it runs. nx uses tfjs-node\'s BatchMatMulV2 for products until the ' +
  'binding is rebuilt; rebuild it with `npx raven-nx-native install` (same arguments as before).';

/**
 * Registers nx's kernels for the `tensorflow` backend, wrapping tfjs-node's; later calls do
 * nothing. Called right after that backend is activated, with its binding.
 * @internal
 */
export function registerTensorflowKernels(binding: NativeBinding | undefined): void {
  if (registered) return;
  registered = true;
  if (binding) registerFusedKernels(binding);
  if (tf.getKernel(RELU_GRAD_KERNEL, 'tensorflow') === undefined) {
    tf.registerKernel({ kernelName: RELU_GRAD_KERNEL, backendName: 'tensorflow', kernelFunc: reluGrad as unknown as tf.KernelFunc });
  }
  if (tf.getKernel(SPARSE_XENT_KERNEL, 'tensorflow') === undefined) {
    tf.registerKernel({ kernelName: SPARSE_XENT_KERNEL, backendName: 'tensorflow', kernelFunc: sparseXent as unknown as tf.KernelFunc });
  }
  if (!signalsGuarded(binding)) {
    // a binding raven-nx-native built before the guard; tfjs-node's own binding has no `raven`
    if (binding?.raven !== undefined) console.warn(UNGUARDED_BINDING_WARNING);
    return;
  }
  const original = tf.getKernel('BatchMatMul', 'tensorflow');
  if (original === undefined) return; // a tfjs-node without it: nothing to improve
  tf.unregisterKernel('BatchMatMul', 'tensorflow');
  tf.registerKernel({ ...original, kernelFunc: batchMatMul(original.kernelFunc) });
}
