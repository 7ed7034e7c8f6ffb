/**
 * Helpers for kernels nx registers on the wasm backend: calling other wasm kernels, reading and
 * writing tensor data in place on the wasm heap, freeing intermediates.
 *
 * A kernel here receives and returns `TensorInfo`s that live in the backend, not engine tensors:
 * every `TensorInfo` a kernel function returns (even a reshape sharing its input's data, which
 * increments a reference count) must be freed once with {@link free}, except the one handed back
 * to the engine.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** The wasm backend as kernels see it. @internal */
export type Wasm = BackendWasm;
/** A tensor inside a backend: data id, shape, dtype. @internal */
export type Info = tf.TensorInfo;
/** Arguments a kernel function receives. @internal */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: Wasm;
  attrs?: tf.NamedAttrMap;
}
/** A typed array as stored on the heap for one of the compute dtypes. @internal */
export type HeapArray = Float32Array | Int32Array | Uint8Array;

/** The kernel function registered for `name` on wasm (at the time of the call). @internal */
export function kernelOf(name: string): tf.KernelFunc {
  const k = tf.getKernel(name, 'wasm');
  if (k === undefined) throw new Error(`nx wasm kernels: kernel ${name} is not registered for wasm`);
  return k.kernelFunc;
}

/** Runs another wasm kernel on backend data and returns its single output. @internal */
export function run(backend: Wasm, name: string, inputs: Record<string, Info>, attrs: tf.NamedAttrMap = {}): Info {
  const out = kernelOf(name)({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`nx wasm kernels: ${name} returned ${out.length} outputs, expected one`);
  return out;
}

/** Frees backend data produced by a kernel call (see the module note). @internal */
export function free(backend: Wasm, ...infos: Array<Info | undefined>): void {
  for (const t of infos) if (t !== undefined) backend.disposeData(t.dataId);
}

/** `x` reshaped (shares data; free the result). @internal */
export function reshape(backend: Wasm, x: Info, shape: number[]): Info {
  return run(backend, 'Reshape', { x }, { shape });
}

/** `x` transposed by `perm` (a copy; free the result). @internal */
export function transpose(backend: Wasm, x: Info, perm: number[]): Info {
  return run(backend, 'Transpose', { x }, { perm });
}

/**
 * A live view of `x`'s data on the wasm heap (no copy). Allocating on the heap may move it, so
 * take views only after every allocation the code needs. @internal
 */
export function view(backend: Wasm, x: Info): HeapArray {
  return backend.typedArrayFromHeap(x) as HeapArray;
}

/** A new backend tensor of `shape` and `dtype`, filled with zeros. @internal */
export function zeros(backend: Wasm, shape: number[], dtype: tf.DataType): Info {
  const out = backend.makeOutput(shape, dtype);
  view(backend, out).fill(0);
  return out;
}

/**
 * Converts between the compute dtypes on the host, with TF semantics: to `bool` is `x != 0`
 * (NaN is true), to `int32` truncates toward zero. @internal
 */
export function castHost(backend: Wasm, x: Info, dtype: 'float32' | 'int32' | 'bool'): Info {
  const out = backend.makeOutput(x.shape, dtype);
  const src = view(backend, x);
  const dst = view(backend, out);
  if (dtype === 'bool' && x.dtype !== 'bool') {
    for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
  } else {
    dst.set(src);
  }
  return out;
}

/** Number of elements of a shape. @internal */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
