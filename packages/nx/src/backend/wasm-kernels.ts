/**
 * Kernels the TF.js wasm backend lacks, gets wrong, or runs slowly, registered when wasm is
 * activated (TF.js 4.22). Each is composed from wasm kernels or runs on the host over the wasm
 * heap; see the modules under `kernels/` for what each fixes.
 *
 * Added: `Conv2DBackpropFilter`, `UnsortedSegmentSum`, `Einsum`,
 * `DepthwiseConv2dNativeBackpropFilter`, `DepthwiseConv2dNativeBackpropInput`.
 * Replaced: `BatchMatMul` and `_FusedMatMul` (XNNPACK for transposed and batched products),
 * `Conv2DBackpropInput` (XNNPACK), `MaxPoolGrad` (correct for windows of values <= 0),
 * `AvgPoolGrad` (divides by the pixels each window averaged, as the forward pass does), and the
 * dtype fixes of `Cast`, `Reverse`, `OneHot`, `StridedSlice`, `Cumsum`, `Select`, `ClipByValue`, `Mod`, `FloorDiv`,
 * `RealDiv`. Every wasm kernel is then wrapped by the heap guard (`kernels/heap-guard.ts`): running
 * out of the 4 GiB wasm heap is a {@link WasmHeapError} naming the limit and the remedy.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { avgPoolGradWasm } from './kernels/avg-pool-grad.js';
import { conv2DBackpropFilter, fastConv2DBackpropInput } from './kernels/conv.js';
import { viaCpu } from './kernels/cpu-fallback.js';
import { einsum } from './kernels/einsum.js';
import { castFix, clipFix, cumsumFix, intDivisionFix, oneHotFix, reverseFix, selectFix, stridedSliceFix } from './kernels/fixes.js';
import { fastBatchMatMul, fastFusedMatMul } from './kernels/matmul.js';
import { installWasmHeapGuard } from './kernels/heap-guard.js';
import { maxPoolGrad } from './kernels/pool.js';
import { unsortedSegmentSum } from './kernels/segment.js';
import type { Wasm } from './kernels/util.js';

type Wrap = (original: tf.KernelFunc) => tf.KernelFunc;

let registered = false;

/** Registers `kernelFunc` for wasm under `name`, replacing any kernel registered there. */
function put(name: string, kernelFunc: tf.KernelFunc, setupFunc?: tf.KernelConfig['setupFunc']): void {
  if (tf.getKernel(name, 'wasm') !== undefined) tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc, ...(setupFunc ? { setupFunc } : {}) });
}

/** Replaces wasm's kernel `name` by `wrap(original)`, keeping the original's setup. */
function wrap(name: string, w: Wrap): void {
  const original = tf.getKernel(name, 'wasm');
  if (original === undefined) throw new Error(`nx: the wasm backend has no ${name} kernel to wrap`);
  put(name, w(original.kernelFunc), original.setupFunc);
}

/** Registers a kernel only where wasm has none (a later TF.js may bring its own). */
function add(name: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(name, 'wasm') === undefined) put(name, kernelFunc);
}

const asKernel = (f: unknown): tf.KernelFunc => f as tf.KernelFunc;

/**
 * Registers nx's wasm kernels; later calls do nothing. Called right after the wasm backend is
 * activated.
 * @internal
 */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  add('Conv2DBackpropFilter', asKernel(conv2DBackpropFilter));
  add('UnsortedSegmentSum', asKernel(unsortedSegmentSum));
  add('Einsum', asKernel(einsum));
  add('DepthwiseConv2dNativeBackpropFilter', viaCpu('DepthwiseConv2dNativeBackpropFilter'));
  add('DepthwiseConv2dNativeBackpropInput', viaCpu('DepthwiseConv2dNativeBackpropInput'));
  wrap('BatchMatMul', fastBatchMatMul);
  const batchMatMul = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
  wrap('_FusedMatMul', original => fastFusedMatMul(original, batchMatMul));
  wrap('Conv2DBackpropInput', fastConv2DBackpropInput);
  put('MaxPoolGrad', asKernel(maxPoolGrad));
  put('AvgPoolGrad', asKernel(avgPoolGradWasm));
  wrap('Cast', castFix);
  wrap('Reverse', reverseFix);
  wrap('OneHot', oneHotFix);
  wrap('StridedSlice', stridedSliceFix);
  wrap('Cumsum', cumsumFix);
  wrap('Select', selectFix);
  wrap('ClipByValue', clipFix);
  for (const name of ['Mod', 'FloorDiv', 'RealDiv']) wrap(name, intDivisionFix);
  installWasmHeapGuard(tf.findBackend('wasm') as unknown as Wasm);
}
