/**
 * Convolution gradients for the wasm backend, composed from its XNNPACK `Conv2D`.
 *
 * - `Conv2DBackpropFilter` (missing from TF.js's wasm backend, so conv2d could not train): the
 *   filter gradient `dW[i,j,c,o] = sum_{n,y,x} xpad[n, y*s + i*d, x*s + j*d, c] * dy[n,y,x,o]` is
 *   one XNNPACK product of the patches of `x` (im2col, built on the host) and `dy`. Past 2^24
 *   patch elements it runs as a convolution instead: input `x` as `[Cin, H, W, N]` (channels
 *   become the batch), filter `dy` as `[Ho, Wo, N, Cout]`, stride = the forward dilation,
 *   dilation = the forward stride (no im2col memory, but XNNPACK repacks `dy` on every call).
 * - `Conv2DBackpropInput` (TF.js's wasm kernel is a scalar loop, 10-25x slower than the forward
 *   convolution): the input gradient is the convolution of `dy`, with `stride - 1` zeros inserted
 *   between its pixels, by the spatially flipped filter with input and output channels swapped.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { free, reshape, run, transpose, view, zeros, type Info, type KernelArgs, type Wasm } from './util.js';

type Pair = [number, number];
const pairOf = (v: unknown, d: number): Pair => (v === undefined || v === null ? [d, d] : typeof v === 'number' ? [v, v] : [(v as number[])[0]!, (v as number[])[1]!]);

/** NHWC copies of NCHW inputs (the caller frees what is returned in `temps`). */
function toNHWC(backend: Wasm, x: Info, nchw: boolean, temps: Info[]): Info {
  if (!nchw) return x;
  const t = transpose(backend, x, [0, 2, 3, 1]);
  temps.push(t);
  return t;
}

/**
 * `Conv2DBackpropFilter` on wasm. Inputs `x` `[N, H, W, Cin]`, `dy` `[N, Ho, Wo, Cout]` (or NCHW
 * with `dataFormat: 'NCHW'`); attrs `filterShape` `[kh, kw, Cin, Cout]`, `strides`, `pad`,
 * `dimRoundingMode`, and optionally `dilations` (default 1, which TF.js's gradient implies).
 * @returns the filter gradient `[kh, kw, Cin, Cout]`.
 * @internal
 */
export function conv2DBackpropFilter(args: KernelArgs): Info {
  const { backend } = args;
  const attrs = args.attrs ?? {};
  const temps: Info[] = [];
  const nchw = attrs['dataFormat'] === 'NCHW';
  const x = toNHWC(backend, args.inputs['x']!, nchw, temps);
  const dy = toNHWC(backend, args.inputs['dy']!, nchw, temps);
  const filterShape = attrs['filterShape'] as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, pairOf(attrs['strides'], 1), pairOf(attrs['dilations'], 1),
    attrs['pad'] as 'same' | 'valid' | number, attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined, false, 'channelsLast',
  );
  const { filterHeight: kh, filterWidth: kw, outHeight: ho, outWidth: wo } = info;
  const expected = [info.batchSize, ho, wo, info.outChannels];
  if (dy.shape.join() !== expected.join()) {
    free(backend, ...temps);
    throw new Error(`nx wasm Conv2DBackpropFilter: dy has shape [${dy.shape.join(', ')}], expected [${expected.join(', ')}]`);
  }
  const patches = info.batchSize * ho * wo * kh * kw * info.inChannels;
  const out = patches <= im2colMax ? filterGradByMatMul(backend, x, dy, info) : filterGradByConv(backend, x, dy, info);
  free(backend, ...temps);
  return out;
}

/** Largest im2col matrix (elements, default 2^24) built on the host; beyond it the gradient runs as a convolution. */
let im2colMax = 1 << 24;

/**
 * Sets the largest im2col matrix {@link conv2DBackpropFilter} builds (tests use it to reach the
 * convolution path). @returns the previous limit. @internal
 */
export function setIm2colLimit(elements: number): number {
  const previous = im2colMax;
  im2colMax = elements;
  return previous;
}

type ConvInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

/**
 * `dW = im2col(x)^T . dy`: the patches of `x`, built on the host directly as rows
 * `[kh*kw*Cin, N*Ho*Wo]` (no transposes on the wasm side, which are slow for tall matrices), times
 * `dy` as `[N*Ho*Wo, Cout]` in one XNNPACK product; the result is already `[kh, kw, Cin, Cout]`.
 */
function filterGradByMatMul(backend: Wasm, x: Info, dy: Info, info: ConvInfo): Info {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo, outChannels: co } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  const pixels = n * ho * wo;
  const p = zeros(backend, [1, kh * kw * c, pixels], 'float32');
  const xv = view(backend, x);
  const pv = view(backend, p);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let k = 0; k < c; k++) {
        let o = ((i * kw + j) * c + k) * pixels;
        for (let b = 0; b < n; b++) {
          for (let y = 0; y < ho; y++) {
            const xr = y * sh + i * dh - top;
            if (xr < 0 || xr >= h) { o += wo; continue; }
            const row = (b * h + xr) * w;
            for (let xo = 0; xo < wo; xo++, o++) {
              const xc = xo * sw + j * dw - left;
              if (xc >= 0 && xc < w) pv[o] = xv[(row + xc) * c + k]!;
            }
          }
        }
      }
    }
  }
  const d = reshape(backend, dy, [1, pixels, co]);
  const g = run(backend, 'BatchMatMul', { a: p, b: d }, { transposeA: false, transposeB: false }); // [1, kh*kw*Cin, Cout]
  free(backend, p, d);
  const out = reshape(backend, g, [kh, kw, c, co]);
  free(backend, g);
  return out;
}

/**
 * The filter gradient as a convolution (see the module note): no im2col matrix, but XNNPACK
 * packs `dy` as a filter on every call.
 */
function filterGradByConv(backend: Wasm, x: Info, dy: Info, info: ConvInfo): Info {
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, filterHeight: kh, filterWidth: kw, outHeight: ho, outWidth: wo, inHeight: h, inWidth: w } = info;
  const { top, left } = info.padInfo;
  const bottom = Math.max(0, (ho - 1) * sh + (kh - 1) * dh + 1 - h - top);
  const right = Math.max(0, (wo - 1) * sw + (kw - 1) * dw + 1 - w - left);
  const xT = transpose(backend, x, [3, 1, 2, 0]); // [Cin, H, W, N]
  const dyT = transpose(backend, dy, [1, 2, 0, 3]); // [Ho, Wo, N, Cout]
  const g = run(backend, 'Conv2D', { x: xT, filter: dyT }, {
    strides: [dh, dw], dilations: [sh, sw], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC',
  }); // [Cin, kh', kw', Cout] with kh' >= kh where input rows are left over
  free(backend, xT, dyT);
  let gk = g;
  if (g.shape[1] !== kh || g.shape[2] !== kw) {
    gk = run(backend, 'Slice', { x: g }, { begin: [0, 0, 0, 0], size: [g.shape[0]!, kh, kw, g.shape[3]!] });
    free(backend, g);
  }
  const out = transpose(backend, gk, [1, 2, 0, 3]);
  free(backend, gk);
  return out;
}

/** `dy` with `sh - 1` zero rows and `sw - 1` zero columns between its pixels (NHWC). */
function insertZeros(backend: Wasm, dy: Info, sh: number, sw: number): Info {
  const [n, ho, wo, c] = dy.shape as [number, number, number, number];
  const hd = (ho - 1) * sh + 1;
  const wd = (wo - 1) * sw + 1;
  const out = zeros(backend, [n, hd, wd, c], dy.dtype);
  const src = view(backend, dy);
  const dst = view(backend, out);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < ho; y++) {
      for (let x = 0; x < wo; x++) {
        const s = ((b * ho + y) * wo + x) * c;
        dst.set(src.subarray(s, s + c), ((b * hd + y * sh) * wd + x * sw) * c);
      }
    }
  }
  return out;
}

/**
 * `Conv2DBackpropInput` on wasm through XNNPACK (see the module note); falls back to TF.js's
 * kernel `original` for paddings larger than the filter.
 * @internal
 */
export function fastConv2DBackpropInput(original: tf.KernelFunc): tf.KernelFunc {
  const kernel = (args: KernelArgs): Info => {
    const { backend } = args;
    const attrs = args.attrs ?? {};
    const nchw = attrs['dataFormat'] === 'NCHW';
    const shape = attrs['inputShape'] as [number, number, number, number];
    const inShape: [number, number, number, number] = nchw ? [shape[0], shape[2], shape[3], shape[1]] : shape;
    const filter = args.inputs['filter']!;
    if (args.inputs['dy']!.dtype !== 'float32' || filter.dtype !== 'float32') return original(args as never) as Info;
    const info = tf.backend_util.computeConv2DInfo(
      inShape, filter.shape as [number, number, number, number], pairOf(attrs['strides'], 1), 1,
      attrs['pad'] as 'same' | 'valid' | number, attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined, false, 'channelsLast',
    );
    const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outHeight: ho, outWidth: wo, inHeight: h, inWidth: w } = info;
    const top = kh - 1 - info.padInfo.top;
    const left = kw - 1 - info.padInfo.left;
    const bottom = h - ((ho - 1) * sh + 1) + info.padInfo.top;
    const right = w - ((wo - 1) * sw + 1) + info.padInfo.left;
    if (top < 0 || left < 0 || bottom < 0 || right < 0) return original(args as never) as Info;
    const temps: Info[] = [];
    const dy = toNHWC(backend, args.inputs['dy']!, nchw, temps);
    const dyD = sh === 1 && sw === 1 ? dy : insertZeros(backend, dy, sh, sw);
    if (dyD !== dy) temps.push(dyD);
    const flipped = run(backend, 'Reverse', { x: filter }, { dims: [0, 1] });
    const wT = transpose(backend, flipped, [0, 1, 3, 2]); // [kh, kw, Cout, Cin]
    free(backend, flipped);
    const dx = run(backend, 'Conv2D', { x: dyD, filter: wT }, {
      strides: [1, 1], dilations: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC',
    });
    free(backend, wT, ...temps);
    if (!nchw) return dx;
    const out = transpose(backend, dx, [0, 3, 1, 2]);
    free(backend, dx);
    return out;
  };
  return kernel as unknown as tf.KernelFunc;
}
