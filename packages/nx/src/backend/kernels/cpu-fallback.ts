/**
 * Runs a cpu-backend kernel on wasm data: inputs are copied to the cpu backend, its kernel runs,
 * outputs are copied back to the wasm heap. For kernels the wasm backend lacks that are rare
 * enough not to need a fast version (the depthwise-convolution gradients).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Info, KernelArgs } from './util.js';

function typed(values: tf.backend_util.BackendValues, dtype: tf.DataType): Float32Array | Int32Array | Uint8Array {
  if (dtype === 'float32') return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
  if (dtype === 'int32') return values instanceof Int32Array ? values : Int32Array.from(values as ArrayLike<number>);
  if (dtype === 'bool') return values instanceof Uint8Array ? values : Uint8Array.from(values as ArrayLike<number>);
  throw new Error(`nx wasm cpu fallback: dtype ${dtype} is not supported`);
}

/** A wasm kernel function that runs the cpu backend's kernel `name`. @internal */
export function viaCpu(name: string): tf.KernelFunc {
  const kernel = (args: KernelArgs): Info | Info[] => {
    const { backend } = args;
    const cpuKernel = tf.getKernel(name, 'cpu');
    const cpu = tf.findBackend('cpu');
    if (cpuKernel === undefined || cpu === null) throw new Error(`nx wasm: ${name} needs the cpu backend's kernel, which is not registered`);
    const inputs: Record<string, Info> = {};
    for (const [k, t] of Object.entries(args.inputs)) {
      if (t === undefined) continue;
      inputs[k] = { dataId: cpu.write(backend.readSync(t.dataId), t.shape, t.dtype), shape: t.shape, dtype: t.dtype };
    }
    let result: Info | Info[];
    try {
      result = cpuKernel.kernelFunc({ inputs, backend: cpu, attrs: args.attrs ?? {} });
    } finally {
      for (const t of Object.values(inputs)) cpu.disposeData(t.dataId);
    }
    const outs = (Array.isArray(result) ? result : [result]).map(o => {
      const out = backend.makeOutput(o.shape, o.dtype, undefined, typed(cpu.readSync(o.dataId), o.dtype));
      cpu.disposeData(o.dataId);
      return out;
    });
    return Array.isArray(result) ? outs : outs[0]!;
  };
  return kernel as unknown as tf.KernelFunc;
}
