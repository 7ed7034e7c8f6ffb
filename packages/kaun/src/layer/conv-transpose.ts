/**
 * The transposed 2-d convolution (the gradient of a convolution with respect to its input), as
 * `torch.nn.ConvTranspose2d`.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { LayerError } from '../errors.js';
import { type Initializer, torchBias, torchDefault } from '../init/index.js';
import type { Tree } from '../ptree/index.js';
import { checkPositiveInt, fmt, param } from './_util.js';
import type { Layer } from './layer.js';

/** Options of {@link convTranspose2d}. */
export interface ConvTranspose2dOptions {
  /** Input channels `C`. */
  inChannels: number;
  /** Output channels `O`. */
  outChannels: number;
  /** Kernel size `kh, kw`. */
  kernelSize: number | [number, number];
  /** Stride (the upsampling factor); default 1. */
  stride?: number | [number, number];
  /** PyTorch's `padding`: `dilation (k - 1) - padding` zeros are added on each side of the dilated input; default 0. */
  padding?: number | [number, number];
  /** Extra rows/columns on the bottom/right of the output (to pick among the sizes a strided conv maps to one size); must be smaller than the stride or the dilation; default 0. */
  outputPadding?: number | [number, number];
  /** Dilation of the kernel; default 1. */
  dilation?: number | [number, number];
  /** Channel groups (both channel counts divisible); default 1. */
  groups?: number;
  /** Whether to add a bias; default true. */
  bias?: boolean;
  /** Weight initializer for `[C, O / groups, kh, kw]`; default PyTorch's `U(-1/sqrt(fanIn), 1/sqrt(fanIn))` with `fanIn = (O / groups) kh kw` (PyTorch computes it from the weight's second axis). */
  weightInit?: Initializer;
  /** Bias initializer; default the same bound as the weight. */
  biasInit?: Initializer;
}

const KEYS: nx.OptionKeys<ConvTranspose2dOptions> = {
  inChannels: true, outChannels: true, kernelSize: true, stride: true, padding: true, outputPadding: true, dilation: true, groups: true, bias: true, weightInit: true, biasInit: true,
};

function pairOf(fn: string, name: string, v: number | [number, number], min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= min)) {
    throw new LayerError(`${fn}: ${name} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

/** `[N, C, H, W]` with `s - 1` zeros between neighbouring rows and columns: `[N, C, (H-1)sh+1, (W-1)sw+1]`. */
function spread(x: Tensor, s: [number, number]): Tensor {
  if (s[0] === 1 && s[1] === 1) return x;
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const padded = nx.pad(nx.reshape(x, [n, c, h, 1, w, 1]), [[0, 0], [0, 0], [0, 0], [0, s[0] - 1], [0, 0], [0, s[1] - 1]]);
  const flat = nx.reshape(padded, [n, c, h * s[0], w * s[1]]);
  return nx.slice(flat, [null, null, [0, (h - 1) * s[0] + 1], [0, (w - 1) * s[1] + 1]]);
}

/** Pads (positive) or crops (negative) the two spatial axes by `[before, after]` each. */
function padOrCrop(x: Tensor, p: [[number, number], [number, number]]): Tensor {
  const pos = p.map(([a, b]) => [Math.max(a, 0), Math.max(b, 0)] as [number, number]);
  let y = pos.some(([a, b]) => a > 0 || b > 0) ? nx.pad(x, [[0, 0], [0, 0], pos[0]!, pos[1]!]) : x;
  if (p.some(([a, b]) => a < 0 || b < 0)) {
    const [, , h, w] = y.shape as [number, number, number, number];
    const [[t, b], [l, r]] = p;
    y = nx.slice(y, [null, null, [Math.max(-t, 0), h - Math.max(-b, 0)], [Math.max(-l, 0), w - Math.max(-r, 0)]]);
  }
  return y;
}

/**
 * A transposed 2-d convolution, as `torch.nn.ConvTranspose2d` (the upsampling convolution of
 * decoders and GANs). Computed as a stride-1 convolution of the input spread out by the stride
 * (zeros between pixels), padded by `dilation (k - 1) - padding` (+ `outputPadding` after), with
 * the kernel flipped and its channel axes swapped: the same numbers as PyTorch.
 *
 * - Input `[N, C, H, W]`; output `[N, O, H', W']` with, per axis,
 *   `H' = (H - 1) stride - 2 padding + dilation (k - 1) + outputPadding + 1`.
 * - Params: `weight` `[C, O / groups, kh, kw]` (PyTorch's layout), `bias` `[O]`.
 * @throws LayerError for invalid options (`outputPadding` not smaller than the stride or the
 * dilation, groups not dividing the channels), or (at apply) an input that is not `[N, C, H, W]`
 * or too small for the padding.
 * @example `Layer.convTranspose2d({ inChannels: 16, outChannels: 8, kernelSize: 4, stride: 2, padding: 1 })` doubles H and W.
 */
export function convTranspose2d(options: ConvTranspose2dOptions): Layer {
  const fn = 'Layer.convTranspose2d';
  nx.checkOptions(fn, options, KEYS);
  const { inChannels: cin, outChannels: cout } = options;
  checkPositiveInt(fn, 'inChannels', cin);
  checkPositiveInt(fn, 'outChannels', cout);
  const k = pairOf(fn, 'kernelSize', options.kernelSize, 1);
  const s = pairOf(fn, 'stride', options.stride ?? 1, 1);
  const p = pairOf(fn, 'padding', options.padding ?? 0, 0);
  const op = pairOf(fn, 'outputPadding', options.outputPadding ?? 0, 0);
  const d = pairOf(fn, 'dilation', options.dilation ?? 1, 1);
  const groups = options.groups ?? 1;
  checkPositiveInt(fn, 'groups', groups);
  if (cin % groups !== 0 || cout % groups !== 0) throw new LayerError(`${fn}: groups ${groups} must divide inChannels (${cin}) and outChannels (${cout})`);
  for (let i = 0; i < 2; i++) {
    if (op[i]! >= Math.max(s[i]!, d[i]!)) throw new LayerError(`${fn}: outputPadding ${JSON.stringify(options.outputPadding)} must be smaller than the stride or the dilation`);
  }
  const useBias = options.bias ?? true;
  const fanIn = (cout / groups) * k[0] * k[1];
  const weightInit = options.weightInit ?? torchDefault;
  const biasInit = options.biasInit ?? torchBias(fanIn);
  const wShape = [cin, cout / groups, k[0], k[1]];
  const pads: [[number, number], [number, number]] = [
    [d[0] * (k[0] - 1) - p[0], d[0] * (k[0] - 1) - p[0] + op[0]],
    [d[1] * (k[1] - 1) - p[1], d[1] * (k[1] - 1) - p[1] + op[1]],
  ];
  return {
    kind: 'convTranspose2d',
    init({ key, dtype = 'float32' }) {
      const [kw, kb] = nx.random.split(key, 2);
      // torchDefault reads the fan-in from axis 1 and the receptive field, as PyTorch does for this weight
      const params: Record<string, Tree> = { weight: weightInit(kw!, wShape, dtype) };
      if (useBias) params['bias'] = biasInit(kb!, [cout], dtype);
      return { params, state: {}, dtype };
    },
    apply(vars, x) {
      const w = param(fn, vars.params, 'weight');
      if (x.rank !== 4 || x.shape[1] !== cin) throw new LayerError(`${fn}: expected input [N, C, H, W] with C = ${cin}, got shape ${fmt(x.shape)}`);
      const [, , h, wd] = x.shape as [number, number, number, number];
      const outH = (h - 1) * s[0] + pads[0][0] + pads[0][1] - d[0] * (k[0] - 1) + 1;
      const outW = (wd - 1) * s[1] + pads[1][0] + pads[1][1] - d[1] * (k[1] - 1) + 1;
      if (outH < 1 || outW < 1) throw new LayerError(`${fn}: input ${fmt(x.shape)} is too small for padding ${JSON.stringify(p)}: the output would be ${outH}x${outW}`);
      const y = nx.scope(() => {
        // weight [C, O/g, kh, kw] -> per group [O/g, C/g, kh, kw], flipped: [O, C/g, kh, kw]
        const wg = nx.reshape(w, [groups, cin / groups, cout / groups, k[0], k[1]]);
        const wf = nx.flip(nx.reshape(nx.transpose(wg, [0, 2, 1, 3, 4]), [cout, cin / groups, k[0], k[1]]), [2, 3]);
        const z = nx.conv2d(padOrCrop(spread(x, s), pads), wf, { dilation: d, groups });
        return useBias ? nx.add(z, nx.reshape(param(fn, vars.params, 'bias'), [1, cout, 1, 1])) : z;
      });
      return { y, state: vars.state };
    },
  };
}
