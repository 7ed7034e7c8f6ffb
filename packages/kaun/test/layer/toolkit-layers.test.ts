/** convTranspose2d, grouped conv2d, groupNorm and global pooling against PyTorch and by hand. */
import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Layer, LayerError } from '@raven/kaun';
import { tensor, torchRef } from '../_fixtures/torch.js';
import { checkLayerGrad, expectClose, values } from './_helpers.js';

const vars = (params: Record<string, nx.Tensor>) => ({ params, state: {}, dtype: 'float32' as const });

describe('Layer.convTranspose2d', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const cases: Array<[string, any]> = torchRef.convTranspose2d.map((c: any) => [JSON.stringify({ k: c.kernelSize, s: c.stride, p: c.padding, op: c.outputPadding, g: c.groups, d: c.dilation }), c]);
  it.each(cases)('matches torch.nn.ConvTranspose2d %s, gradients too', (_n, c) => {
    const layer = Layer.convTranspose2d({ inChannels: c.inChannels, outChannels: c.outChannels, kernelSize: c.kernelSize, stride: c.stride, padding: c.padding, outputPadding: c.outputPadding, groups: c.groups, dilation: c.dilation });
    const fresh = layer.init({ key: nx.random.key(0) });
    expect((fresh.params as { weight: nx.Tensor }).weight.shape).toEqual(c.weight.shape);
    const params = { weight: tensor(c.weight), bias: tensor(c.bias) };
    const x = tensor(c.x);
    const { y } = layer.apply(vars(params), x);
    expect(y.shape).toEqual(c.y.shape);
    expectClose(values(y), c.y.data, 1e-5);
    const r = tensor(c.r);
    const [gw, gx] = nx.grad((w, xi) => nx.sum(nx.mul(layer.apply(vars({ weight: w, bias: params.bias }), xi).y, r)))(params.weight, x);
    expectClose(values(gw!), c.gradWeight.data, 1e-4);
    expectClose(values(gx!), c.gradX.data, 1e-4);
  });

  it('a stride-2 kernel-2 transposed conv of a one-hot pixel stamps the kernel (hand check)', () => {
    const layer = Layer.convTranspose2d({ inChannels: 1, outChannels: 1, kernelSize: 2, stride: 2, bias: false });
    const x = nx.fromArray([[[[0, 0], [0, 1]]]]);
    const w = nx.fromArray([[[[1, 2], [3, 4]]]]);
    const { y } = layer.apply(vars({ weight: w }), x);
    expect(nx.toArray(y)).toEqual([[[[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 2], [0, 0, 3, 4]]]]);
    expect(() => Layer.convTranspose2d({ inChannels: 1, outChannels: 1, kernelSize: 2, stride: 2, outputPadding: 2 })).toThrow(LayerError);
  });
});

describe('grouped Layer.conv2d', () => {
  it('matches torch.nn.Conv2d(groups=2) and equals separate convolutions per group', () => {
    const c = torchRef.groupedConv2d;
    const layer = Layer.conv2d({ inChannels: 4, outChannels: 6, kernelSize: 3, padding: 1, groups: 2 });
    const params = { weight: tensor(c.weight), bias: tensor(c.bias) };
    expect((layer.init({ key: nx.random.key(0) }).params as { weight: nx.Tensor }).weight.shape).toEqual([6, 2, 3, 3]);
    const x = tensor(c.x);
    const { y } = layer.apply(vars(params), x);
    expectClose(values(y), c.y.data, 1e-5);
    // independent: each group is an ordinary conv of its channel slice
    const single = Layer.conv2d({ inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1 });
    const parts = [0, 1].map((g) => single.apply(vars({
      weight: nx.slice(params.weight, [[3 * g, 3 * g + 3]]), bias: nx.slice(params.bias, [[3 * g, 3 * g + 3]]),
    }), nx.slice(x, [null, [2 * g, 2 * g + 2]])).y);
    expectClose(values(y), values(nx.concatenate(parts, 1)), 1e-5);
    expect(() => Layer.conv2d({ inChannels: 4, outChannels: 6, kernelSize: 3, groups: 4 })).toThrow(/groups 4 must divide/);
  });
});

describe('Layer.groupNorm', () => {
  it('matches torch.nn.GroupNorm', () => {
    const c = torchRef.groupNorm;
    const layer = Layer.groupNorm({ numGroups: 2, numChannels: 6 });
    const { y } = layer.apply(vars({ weight: tensor(c.weight), bias: tensor(c.bias) }), tensor(c.x));
    expectClose(values(y), c.y.data, 1e-5);
  });
  it('with one group per channel is instance norm (hand check), and has gradients', () => {
    const layer = Layer.groupNorm({ numGroups: 2, numChannels: 2, affine: false, eps: 0 });
    const { y } = layer.apply(vars({}), nx.fromArray([[[1, 3], [10, 30]]]));
    expectClose(values(y), [-1, 1, -1, 1], 1e-6);
    const l2 = Layer.groupNorm({ numGroups: 2, numChannels: 4 });
    checkLayerGrad(l2, l2.init({ key: nx.random.key(0) }), nx.random.normal(nx.random.key(1), [2, 4, 3]));
  });
});

describe('global pooling', () => {
  it('averages and maximises over every spatial axis', () => {
    const x = nx.fromArray([[[[1, 2], [3, 4]], [[-1, 0], [5, -2]]]]); // [1, 2, 2, 2]
    const v = vars({});
    expect(nx.toArray(Layer.globalAvgPool().apply(v, x).y)).toEqual([[2.5, 0.5]]);
    expect(nx.toArray(Layer.globalMaxPool().apply(v, x).y)).toEqual([[4, 5]]);
    expect(Layer.globalAvgPool({ keepDims: true }).apply(v, x).y.shape).toEqual([1, 2, 1, 1]);
    expect(Layer.globalAvgPool().apply(v, nx.ones([3, 4, 7])).y.shape).toEqual([3, 4]); // 1-d
    expect(() => Layer.globalMaxPool().apply(v, nx.ones([3, 4]))).toThrow(LayerError);
  });
});
