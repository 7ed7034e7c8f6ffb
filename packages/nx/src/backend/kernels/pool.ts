/**
 * `MaxPoolGrad` for the wasm backend. TF.js's wasm kernel starts each window's running maximum at
 * the smallest positive float instead of -Infinity, so a window whose values are all <= 0 sends
 * its gradient to the wrong pixel; this host implementation matches the cpu backend: the gradient
 * of each output goes to the first maximum of its window.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { view, zeros, type Info, type KernelArgs } from './util.js';

/**
 * `MaxPoolGrad`: inputs `dy` `[N, Ho, Wo, C]` and `input` `[N, H, W, C]`; attrs `filterSize`,
 * `strides`, `pad`, `dimRoundingMode`. @returns `dx` shaped like `input`. @internal
 */
export function maxPoolGrad(args: KernelArgs): Info {
  const { backend } = args;
  const attrs = args.attrs ?? {};
  const dy = args.inputs['dy']!;
  const input = args.inputs['input']!;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], attrs['filterSize'] as number | [number, number], attrs['strides'] as number | [number, number], 1,
    attrs['pad'] as 'same' | 'valid' | number, attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
  );
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo, strideHeight: sh, strideWidth: sw } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
  const dx = zeros(backend, input.shape, 'float32');
  const xv = view(backend, input);
  const dyv = view(backend, dy);
  const dxv = view(backend, dx);
  const best = new Float64Array(c);
  const pos = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let yr = 0; yr < ho; yr++) {
      for (let yc = 0; yc < wo; yc++) {
        best.fill(-Infinity);
        pos.fill(-1);
        for (let wr = 0; wr < fh; wr += dh) {
          const xr = yr * sh - top + wr;
          if (xr < 0 || xr >= h) continue;
          for (let wc = 0; wc < fw; wc += dw) {
            const xc = yc * sw - left + wc;
            if (xc < 0 || xc >= w) continue;
            const base = ((b * h + xr) * w + xc) * c;
            for (let d = 0; d < c; d++) {
              const v = xv[base + d]!;
              if (v > best[d]!) { best[d] = v; pos[d] = base + d; }
            }
          }
        }
        const o = ((b * ho + yr) * wo + yc) * c;
        for (let d = 0; d < c; d++) if (pos[d]! >= 0) dxv[pos[d]!] += dyv[o + d]!;
      }
    }
  }
  return dx;
}
