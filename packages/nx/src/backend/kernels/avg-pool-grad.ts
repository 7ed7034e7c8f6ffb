/**
 * `AvgPoolGrad` with TF's semantics, for the wasm and cpu backends. TF.js's kernels (both) divide
 * every window's gradient by the full window size, while the forward `AvgPool` divides by the
 * number of pixels inside the input, so with `same` padding the gradient of border pixels was
 * too small (by up to 2x for 3x3 windows). Here each window's gradient is spread over the pixels
 * it averaged.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { view, zeros, type Info, type KernelArgs } from './util.js';

type PoolInfo = ReturnType<typeof tf.backend_util.computePool2DInfo>;

function poolInfo(input: Info, attrs: tf.NamedAttrMap): PoolInfo {
  return tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], attrs['filterSize'] as number | [number, number], attrs['strides'] as number | [number, number], 1,
    attrs['pad'] as 'same' | 'valid' | number, attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
  );
}

/** Adds each output gradient, divided by its window's pixel count, to the window's pixels (NHWC). */
function spread(dy: ArrayLike<number>, dx: Float32Array, info: PoolInfo): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  for (let b = 0; b < n; b++) {
    for (let yr = 0; yr < ho; yr++) {
      const r0 = Math.max(0, yr * sh - top);
      const r1 = Math.min(h, yr * sh - top + fh);
      for (let yc = 0; yc < wo; yc++) {
        const c0 = Math.max(0, yc * sw - left);
        const c1 = Math.min(w, yc * sw - left + fw);
        const count = (r1 - r0) * (c1 - c0);
        if (count <= 0) continue;
        const o = ((b * ho + yr) * wo + yc) * c;
        for (let r = r0; r < r1; r++) {
          for (let q = c0; q < c1; q++) {
            const base = ((b * h + r) * w + q) * c;
            for (let d = 0; d < c; d++) dx[base + d] += dy[o + d]! / count;
          }
        }
      }
    }
  }
}

/** `AvgPoolGrad` on wasm: inputs `dy`, `input`; attrs `filterSize`, `strides`, `pad`. @internal */
export function avgPoolGradWasm(args: KernelArgs): Info {
  const { backend } = args;
  const input = args.inputs['input']!;
  const info = poolInfo(input, args.attrs ?? {});
  const dx = zeros(backend, input.shape, 'float32');
  spread(view(backend, args.inputs['dy']!), view(backend, dx) as Float32Array, info);
  return dx;
}

/** `AvgPoolGrad` on the cpu backend (same contract as {@link avgPoolGradWasm}). @internal */
export function avgPoolGradCpu(args: { inputs: tf.NamedTensorInfoMap; backend: MathBackendCPU; attrs?: tf.NamedAttrMap }): Info {
  const { backend } = args;
  const input = args.inputs['input']!;
  const info = poolInfo(input, args.attrs ?? {});
  const dx = new Float32Array(tf.util.sizeFromShape(input.shape));
  spread(backend.readSync(args.inputs['dy']!.dataId) as Float32Array, dx, info);
  return backend.makeTensorInfo(input.shape, 'float32', dx);
}
