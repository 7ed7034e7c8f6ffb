/**
 * The wasm heap's limit as a clear error. The wasm backend's heap grows to 4 GiB at most
 * (Emscripten's `getHeapMax()` of tfjs-backend-wasm 4.22). Past that, an allocation on the
 * JavaScript side gets address 0 (and the tensor silently overwrites the start of the heap),
 * and one inside a kernel aborts the module (`RuntimeError: Aborted()`, or `memory access out of
 * bounds`), after which no wasm op works in the process. BERT-base with AdamW at batch 8 x 128
 * gets there. This guard, installed only on the wasm backend:
 * - refuses an allocation that would take the live tensors past the limit, before it happens
 *   (the backend stays usable: free tensors or use a smaller batch);
 * - turns a failed allocation or an aborted kernel into a {@link WasmHeapError} that names the
 *   limit, the memory in use and the remedy: the native TensorFlow backend.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { WasmHeapError } from '../../errors.js';
import type { Wasm } from './util.js';

/** The most the wasm heap can grow to, in bytes (4 GiB less 64 KiB). @internal */
export const WASM_HEAP_LIMIT = 4294901760;

/** Bytes the heap needs beyond live tensors (the module, stacks, XNNPACK's packed weights, kernel scratch). */
const RESERVE = 256 * 2 ** 20;

const gib = (bytes: number): string => (bytes / 2 ** 30).toFixed(2);

const REMEDY =
  'Use the native TensorFlow backend, which has no such limit and is faster on large models ' +
  '(`npx raven-nx-native install`, then NX_BACKEND=tensorflow, or nothing: nx picks it first), or a smaller batch or model';

/** The error for an allocation of `bytes` refused before it happened (the backend stays usable). @internal */
export function refusedAllocation(bytes: number, live: number): WasmHeapError {
  return new WasmHeapError(
    `nx: out of wasm memory: ${gib(live)} GiB of tensors are live and a new one needs ${gib(bytes)} GiB, ` +
      `past the wasm heap's limit of ${gib(WASM_HEAP_LIMIT)} GiB (less ${gib(RESERVE)} GiB for the module). ${REMEDY}.`,
    { limitBytes: WASM_HEAP_LIMIT, liveBytes: live, requestedBytes: bytes, usable: true },
  );
}

/** The error for a kernel that aborted the wasm module (nothing on wasm works afterwards). @internal */
export function abortedKernel(kernel: string, live: number, cause: unknown): WasmHeapError {
  return new WasmHeapError(
    `nx: the wasm backend ran out of memory in ${kernel} (${gib(live)} GiB of tensors live; the wasm heap stops at ` +
      `${gib(WASM_HEAP_LIMIT)} GiB) and aborted: no wasm op works in this process any more. ${REMEDY}. ` +
      `(wasm said: ${String((cause as Error)?.message ?? cause).slice(0, 200)})`,
    { limitBytes: WASM_HEAP_LIMIT, liveBytes: live, requestedBytes: undefined, usable: false, cause },
  );
}

/** Whether `e` is the wasm module failing for want of memory (an abort or an access past the heap). */
function isHeapFault(e: unknown): boolean {
  return e instanceof Error && e.name === 'RuntimeError' && /Aborted\(|memory access out of bounds/.test(e.message);
}

/**
 * Every name tfjs-core exports that has a wasm kernel: the kernels to guard.
 */
function wasmKernelNames(): string[] {
  const names = new Set<string>();
  for (const v of Object.values(tf)) if (typeof v === 'string' && tf.getKernel(v, 'wasm') !== undefined) names.add(v);
  return [...names];
}

let installed = false;

/**
 * Installs the guard on the wasm backend: the allocation check on its `move` (every allocation
 * made from JavaScript goes through it) and a wrapper around each wasm kernel. Runs once, after
 * nx's own wasm kernels are registered.
 * @internal
 */
export function installWasmHeapGuard(backend: Wasm): void {
  if (installed) return;
  installed = true;
  type Move = (dataId: object, values: unknown, shape: number[], dtype: tf.DataType, refCount: number) => void;
  const target = backend as unknown as { move: Move; dataIdMap: { get(id: object): { memoryOffset: number | null } | undefined } };
  const move = target.move.bind(backend);
  target.move = (dataId, values, shape, dtype, refCount) => {
    const bytes = dtype === 'string' ? 0 : tf.util.sizeFromShape(shape) * tf.util.bytesPerElement(dtype);
    const live = tf.memory().numBytes;
    if (bytes > 0 && live + bytes > WASM_HEAP_LIMIT - RESERVE) throw refusedAllocation(bytes, live);
    move(dataId, values, shape, dtype, refCount);
    if (bytes > 0 && target.dataIdMap.get(dataId)?.memoryOffset === 0) throw refusedAllocation(bytes, live);
  };
  for (const name of wasmKernelNames()) {
    const config = tf.getKernel(name, 'wasm')!;
    const inner = config.kernelFunc;
    const guarded: tf.KernelFunc = (args) => {
      try {
        return inner(args);
      } catch (e) {
        if (isHeapFault(e)) throw abortedKernel(name, tf.memory().numBytes, e);
        throw e;
      }
    };
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...config, kernelFunc: guarded });
  }
}
