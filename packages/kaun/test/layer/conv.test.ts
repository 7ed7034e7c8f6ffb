import * as nx from '@raven/nx';
import { Layer, LayerError, Ptree } from '@raven/kaun';
import { describe, expect, it } from 'vitest';
import { checkLayerGrad, expectClose, values } from './_helpers.js';

/** Direct NCHW cross-correlation with explicit padding, stride and dilation. */
function naiveConv2d(x: number[], xs: number[], w: number[], ws: number[], b: number[] | null, o: { pad: [[number, number], [number, number]]; stride: [number, number]; dil: [number, number] }) {
  const [n, c, h, wd] = xs as [number, number, number, number];
  const [oc, , kh, kw] = ws as [number, number, number, number];
  const ho = Math.floor((h + o.pad[0][0] + o.pad[0][1] - o.dil[0] * (kh - 1) - 1) / o.stride[0]) + 1;
  const wo = Math.floor((wd + o.pad[1][0] + o.pad[1][1] - o.dil[1] * (kw - 1) - 1) / o.stride[1]) + 1;
  const out: number[] = [];
  for (let ni = 0; ni < n; ni++) for (let oi = 0; oi < oc; oi++) for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) {
    let s = b ? b[oi]! : 0;
    for (let ci = 0; ci < c; ci++) for (let a = 0; a < kh; a++) for (let bb = 0; bb < kw; bb++) {
      const y = i * o.stride[0] + a * o.dil[0] - o.pad[0][0];
      const xq = j * o.stride[1] + bb * o.dil[1] - o.pad[1][0];
      if (y < 0 || y >= h || xq < 0 || xq >= wd) continue;
      s += x[((ni * c + ci) * h + y) * wd + xq]! * w[((oi * c + ci) * kh + a) * kw + bb]!;
    }
    out.push(s);
  }
  return { out, shape: [n, oc, ho, wo] };
}

describe('Layer.conv2d', () => {
  const key = nx.random.key(0);
  const x = nx.random.normal(nx.random.key(1), [2, 3, 7, 6]);
  const cases: Array<[string, Layer.Conv2dOptions, { pad: [[number, number], [number, number]]; stride: [number, number]; dil: [number, number] }]> = [
    ['valid 3x3', { inChannels: 3, outChannels: 4, kernelSize: 3 }, { pad: [[0, 0], [0, 0]], stride: [1, 1], dil: [1, 1] }],
    ['padding 1, stride 2', { inChannels: 3, outChannels: 2, kernelSize: 3, padding: 1, stride: 2 }, { pad: [[1, 1], [1, 1]], stride: [2, 2], dil: [1, 1] }],
    ['same 3x2 (odd/even kernel)', { inChannels: 3, outChannels: 2, kernelSize: [3, 2], padding: 'same' }, { pad: [[1, 1], [0, 1]], stride: [1, 1], dil: [1, 1] }],
    ['dilation 2, [ph, pw] padding, no bias', { inChannels: 3, outChannels: 2, kernelSize: 2, dilation: 2, padding: [2, 1], bias: false }, { pad: [[2, 2], [1, 1]], stride: [1, 1], dil: [2, 2] }],
    ['explicit asymmetric padding', { inChannels: 3, outChannels: 1, kernelSize: 2, padding: [[0, 1], [2, 0]] }, { pad: [[0, 1], [2, 0]], stride: [1, 1], dil: [1, 1] }],
  ];
  for (const [name, opts, ref] of cases) {
    it(`${name}: matches a direct convolution`, () => {
      const layer = Layer.conv2d(opts);
      const vars = layer.init({ key });
      const w = Ptree.get(vars.params, 'weight') as nx.Tensor;
      const k = typeof opts.kernelSize === 'number' ? [opts.kernelSize, opts.kernelSize] : opts.kernelSize;
      expect(w.shape).toEqual([opts.outChannels, 3, ...k]);
      const b = opts.bias === false ? null : values(Ptree.get(vars.params, 'bias') as nx.Tensor);
      expect(Ptree.has(vars.params, 'bias')).toBe(b !== null);
      const { y } = layer.apply(vars, x);
      const expected = naiveConv2d(values(x), x.shape, values(w), w.shape, b, ref);
      expect(y.shape).toEqual(expected.shape);
      expectClose(values(y), expected.out, 1e-4);
      nx.dispose([vars.params, y]);
    });
  }

  it('has correct gradients (weight, bias, input)', () => {
    const layer = Layer.conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1, stride: 2 });
    const vars = layer.init({ key });
    const xi = nx.random.normal(nx.random.key(2), [2, 2, 5, 5]);
    checkLayerGrad(layer, vars, xi, { maxPoints: 16 });
    nx.dispose([vars.params, xi]);
  });

  it('has PyTorch default init bounds and clear errors', () => {
    const layer = Layer.conv2d({ inChannels: 4, outChannels: 8, kernelSize: 5 });
    const vars = layer.init({ key });
    const bound = 1 / Math.sqrt(4 * 25);
    expect(Math.max(...values(Ptree.get(vars.params, 'weight') as nx.Tensor).map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(() => layer.apply(vars, x)).toThrow(/expected input \[N, C, H, W\] with C = 4, got shape \[2, 3, 7, 6\]/);
    expect(() => Layer.conv2d({ inChannels: 1, outChannels: 1, kernelSize: 3, groups: 2 })).toThrow(LayerError);
    expect(() => Layer.conv2d({ inChannels: 1, outChannels: 1, kernelSize: 0 })).toThrow(/kernelSize must be a positive integer/);
    Ptree.dispose(vars.params);
  });
});

describe('Layer.conv1d', () => {
  it('matches a direct convolution (as conv2d with height 1) and has correct gradients', () => {
    const layer = Layer.conv1d({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: [2, 1], stride: 2 });
    const vars = layer.init({ key: nx.random.key(0) });
    const x = nx.random.normal(nx.random.key(3), [2, 2, 9]);
    const w = Ptree.get(vars.params, 'weight') as nx.Tensor;
    expect(w.shape).toEqual([3, 2, 3]);
    const { y } = layer.apply(vars, x);
    const expected = naiveConv2d(values(x), [2, 2, 1, 9], values(w), [3, 2, 1, 3], values(Ptree.get(vars.params, 'bias') as nx.Tensor), { pad: [[0, 0], [2, 1]], stride: [1, 2], dil: [1, 1] });
    expect(y.shape).toEqual([2, 3, expected.shape[3]]);
    expectClose(values(y), expected.out, 1e-4);
    checkLayerGrad(layer, vars, x, { maxPoints: 12 });
    nx.dispose([vars.params, x, y]);
  });
});
