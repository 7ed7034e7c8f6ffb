import * as nx from '@raven/nx';
import { Layer, LayerError } from '@raven/kaun';
import { describe, expect, it } from 'vitest';
import { checkLayerGrad, expectClose, values } from './_helpers.js';

const none: Layer.Vars = { params: {}, state: {}, dtype: 'float32' };

describe('pooling', () => {
  // one image, one channel, 4x4 with values 0..15
  const x = nx.reshape(nx.arange(0, 16, 1, 'float32'), [1, 1, 4, 4]);
  it('maxPool2d 2x2 picks window maxima', () => {
    const { y } = Layer.maxPool2d({ kernelSize: 2 }).apply(none, x);
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(values(y)).toEqual([5, 7, 13, 15]);
    y.dispose();
  });
  it('avgPool2d 2x2 averages windows; stride 1 overlaps', () => {
    const { y } = Layer.avgPool2d({ kernelSize: 2 }).apply(none, x);
    expect(values(y)).toEqual([2.5, 4.5, 10.5, 12.5]);
    const { y: y2 } = Layer.avgPool2d({ kernelSize: [2, 2], stride: 1 }).apply(none, x);
    expect(y2.shape).toEqual([1, 1, 3, 3]);
    expectClose(values(y2), [2.5, 3.5, 4.5, 6.5, 7.5, 8.5, 10.5, 11.5, 12.5]);
    nx.dispose([y, y2]);
  });
  it('have correct gradients and reject bad input', () => {
    const xi = nx.random.normal(nx.random.key(0), [2, 2, 4, 4]);
    checkLayerGrad(Layer.maxPool2d({ kernelSize: 2 }), none, xi);
    checkLayerGrad(Layer.avgPool2d({ kernelSize: 2, stride: 1 }), none, xi);
    expect(() => Layer.maxPool2d({ kernelSize: 2 }).apply(none, nx.ones([4, 4]))).toThrow(/expected input \[N, C, H, W\], got shape \[4, 4\]/);
    expect(() => Layer.maxPool2d({ kernelSize: 0 })).toThrow(LayerError);
    xi.dispose();
  });
});

describe('Layer.flatten', () => {
  it('keeps the batch axis by default and honours startDim/endDim', () => {
    const x = nx.zeros([2, 3, 4, 5]);
    expect(Layer.flatten().apply(none, x).y.shape).toEqual([2, 60]);
    expect(Layer.flatten({ startDim: 1, endDim: 2 }).apply(none, x).y.shape).toEqual([2, 12, 5]);
    expect(Layer.flatten({ startDim: 0 }).apply(none, x).y.shape).toEqual([120]);
    expect(() => Layer.flatten({ startDim: 4 }).apply(none, x)).toThrow(/out of range/);
    const v = nx.arange(0, 6);
    expect(values(Layer.flatten({ startDim: 0 }).apply(none, nx.reshape(v, [2, 3])).y)).toEqual([0, 1, 2, 3, 4, 5]);
    nx.dispose([x, v]);
  });
});
