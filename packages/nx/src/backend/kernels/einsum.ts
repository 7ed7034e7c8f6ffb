/**
 * `Einsum` for the wasm backend (missing from TF.js's), the cpu backend's algorithm on wasm
 * kernels: each operand is transposed and expanded to the full index space, operands are
 * multiplied with broadcasting, and summed indices are reduced as soon as no later operand uses
 * them.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { free, reshape, run, transpose, type Info, type KernelArgs } from './util.js';

/** `Einsum`: inputs `0..n-1`; attr `equation`. @internal */
export function einsum(args: KernelArgs): Info {
  const { backend } = args;
  const equation = args.attrs?.['equation'] as string;
  const tensors = Object.keys(args.inputs).sort((a, b) => Number(a) - Number(b)).map(k => args.inputs[k]!);
  const { allDims, summedDims, idDims } = tf.backend_util.decodeEinsumEquation(equation, tensors.length);
  tf.backend_util.checkEinsumDimSizes(allDims.length, idDims, tensors as tf.Tensor[]);
  const { path, steps } = tf.backend_util.getEinsumComputePath(summedDims, idDims);
  let out: Info | null = null;
  let remaining = allDims.length;
  const temps: Info[] = [];
  for (let i = 0; i < steps.length; i++) {
    for (const term of steps[i]!) {
      const { permutationIndices: perm, expandDims } = tf.backend_util.getEinsumPermutation(remaining, idDims[term]!);
      let x = tensors[term]!;
      if (!tf.backend_util.isIdentityPermutation(perm)) {
        x = transpose(backend, x, perm);
        temps.push(x);
      }
      const target = x.shape.slice();
      for (const d of expandDims) target.splice(d, 0, 1);
      if (target.join() !== x.shape.join()) {
        x = reshape(backend, x, target);
        temps.push(x);
      }
      if (out === null) out = x;
      else {
        out = run(backend, 'Multiply', { a: x, b: out });
        temps.push(out);
      }
    }
    if (i < steps.length - 1) {
      if (path[i]! >= 0) {
        out = run(backend, 'Sum', { x: out! }, { axis: path[i]! - (allDims.length - remaining), keepDims: false });
        temps.push(out);
      }
      remaining--;
    }
  }
  if (out === null) throw new Error(`nx wasm Einsum: no operands for ${equation}`);
  if (!temps.includes(out)) {
    // the result is an input unchanged: hand the engine its own reference
    const copy = run(backend, 'Identity', { x: out });
    free(backend, ...temps);
    return copy;
  }
  free(backend, ...temps.filter(t => t !== out));
  return out;
}
