/**
 * What `nx.jit` needs from the native backend (`@tensorflow/tfjs-node`): the binding (handles,
 * `executeOp`) and the C++ that `raven-nx-native` compiles into it
 * (`packages/nx-native/binding/raven_jit.cc`, on `binding.raven`): a GraphDef made into a
 * TensorFlow function of the binding's eager context, then run as one op on tensor handles
 * through `executeOp`. Internal.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Tensor, TypedArray } from '../tensor.js';

/** What the binding reports of a tensor handle it made. */
export interface HandleInfo {
  id: number;
  shape: number[];
  dtype: number;
}

/** A tfjs-node op attribute, as its kernels pass them to `executeOp`. */
export interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

/** The tfjs-node binding, as far as jit uses it. */
export interface Binding {
  executeOp(name: string, attrs: OpAttr[], inputIds: number[], numOutputs: number): HandleInfo[];
  createTensor(shape: number[], dtype: number, values: TypedArray | Uint8Array[]): number;
  tensorDataSync(id: number): TypedArray | BigInt64Array;
  deleteTensor(id: number): void;
  isUsingGpuDevice(): boolean;
  TF_ATTR_STRING: number;
  TF_ATTR_INT: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number;
  TF_ATTR_SHAPE: number;
  /** What `raven-nx-native` compiled in; absent for a binding built otherwise. */
  raven?: Partial<JitExtensions>;
}

/** The functions of `raven_jit.cc`. */
export interface JitExtensions {
  /** Registers a GraphDef as a function `name` of `inputs` and `outputs` (`node:index`). */
  jitRegisterFunction(graphDef: Uint8Array, name: string, inputs: string[], outputs: string[], xla: boolean): void;
  /** Removes a registered function. */
  jitRemoveFunction(name: string): void;
  /** The GraphDef producer version of the TensorFlow the binding was built against. */
  jitGraphDefVersion(): number;
  /** The FunctionDef protocol buffer of a registered function. */
  jitFunctionDef(name: string): Uint8Array;
  /** The device whose memory holds a tensor (its backing device). */
  jitDeviceOf(id: number): string;
  /**
   * Runs a registered function on a worker thread; resolves with its outputs as `executeOp`
   * returns them. Absent from bindings built before it existed.
   */
  jitRunAsync?(name: string, inputIds: number[], numOutputs: number): Promise<HandleInfo[]>;
}

/** The tfjs-node backend object (`NodeJSKernelBackend`), as far as jit uses it. */
export interface NodeBackend {
  binding: Binding;
  getInputTensorIds(tensors: Tensor[]): number[];
  createOutputTensor(info: HandleInfo): Tensor;
  tensorMap: { get(dataId: object): { id: number; values: unknown } | undefined };
}

/** A binding with the jit functions. */
export type JitBinding = Binding & { raven: JitExtensions };

/** The native backend when it is the active one, else undefined. @internal */
export function nodeBackend(): NodeBackend | undefined {
  if (tf.getBackend() !== 'tensorflow') return undefined;
  const b = tf.backend() as unknown as Partial<NodeBackend>;
  return b.binding && typeof b.getInputTensorIds === 'function' ? (b as NodeBackend) : undefined;
}

/** Whether the binding was built with the jit addition. @internal */
export function hasJit(b: Binding): b is JitBinding {
  const r = b.raven;
  return r !== undefined && typeof r.jitRegisterFunction === 'function' && typeof r.jitRemoveFunction === 'function' && typeof r.jitGraphDefVersion === 'function';
}

/** The binding handle id of a tensor, uploading host-held values first. @internal */
export function handleOf(backend: NodeBackend, t: Tensor): number {
  return backend.getInputTensorIds([t])[0]!;
}
