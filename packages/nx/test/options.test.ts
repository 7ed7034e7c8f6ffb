import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { closestKey, editDistance } from '../src/options.js';

interface Opts { axis?: number; keepDims?: boolean }
const KEYS: nx.OptionKeys<Opts> = { axis: true, keepDims: true };

describe('checkOptions', () => {
  it('accepts known keys, undefined and null', () => {
    expect(() => nx.checkOptions('f', { axis: 1 }, KEYS)).not.toThrow();
    expect(() => nx.checkOptions('f', {}, KEYS)).not.toThrow();
    expect(() => nx.checkOptions('f', undefined, KEYS)).not.toThrow();
    expect(() => nx.checkOptions('f', null, KEYS)).not.toThrow();
  });
  it('names the unknown key, the closest known one and the list', () => {
    let err: unknown;
    try {
      nx.checkOptions('nx.sum', { axsi: 1 } as Opts, KEYS);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(nx.OptionError);
    const e = err as nx.OptionError;
    expect(e.message).toBe('nx.sum: unknown option "axsi"; did you mean "axis"? (known options: axis, keepDims)');
    expect([e.where, e.key, e.suggestion]).toEqual(['nx.sum', 'axsi', 'axis']);
  });
  it('checks keys whose value is undefined', () => {
    expect(() => nx.checkOptions('Train.fit', { epoch: undefined } as object, ['epochs', 'progress'])).toThrow(/unknown option "epoch"; did you mean "epochs"/);
  });
  it('gives no suggestion when nothing is close', () => {
    expect(() => nx.checkOptions('nx.sum', { foo: 1 } as object, KEYS)).toThrow(/unknown option "foo" \(known options: axis, keepDims\)/);
  });
  it("suggests our name for another library's (PyTorch's dim, Keras' learning_rate)", () => {
    expect(closestKey('dim', ['axis', 'keepDims'])).toBe('axis');
    expect(closestKey('learningRate', ['lr', 'b1', 'b2'])).toBe('lr');
    expect(closestKey('learning_rate', ['lr'])).toBe('lr');
    expect(closestKey('dim', ['keepDims'])).toBeUndefined(); // a synonym only when the function has it
  });
  it('refuses a non-object where options go', () => {
    expect(() => nx.checkOptions('nx.softmax', 1 as unknown as Opts, KEYS)).toThrow(/options must be an object with keys axis, keepDims; got number 1/);
    expect(() => nx.checkOptions('f', [1] as unknown as Opts, KEYS)).toThrow(/got an array/);
  });
  it('suggests by edit distance and by containment', () => {
    expect(closestKey('patients', ['patience', 'minDelta', 'monitor'])).toBe('patience');
    expect(closestKey('learningrate', ['lr', 'learningRate'])).toBe('learningRate');
    expect(closestKey('batch', ['batchSize', 'shuffle'])).toBe('batchSize');
    expect(closestKey('lr', ['learningRate'])).toBeUndefined();
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });
});

/** The error a call throws (or undefined). */
function errorOf(f: () => unknown): nx.OptionError | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof nx.OptionError) return e;
    throw e;
  }
  return undefined;
}

describe('nx functions check their option names', () => {
  it('nx.sum(x, {dim: 1}) is an error naming the key and axis, not a sum of everything', () => {
    const x = nx.fromArray([[1, 2], [3, 4]]);
    const e = errorOf(() => nx.sum(x, { dim: 1 } as nx.ReduceOptions));
    expect(e?.message).toBe('nx.sum: unknown option "dim"; did you mean "axis"? (known options: axis, keepDims)');
    expect(nx.toArray(nx.scope(() => nx.sum(x, { axis: 1 })))).toEqual([3, 7]);
    nx.dispose(x);
  });
  it('a bare number where the options go says how to write the axis', () => {
    const x = nx.ones([2, 2]);
    expect(errorOf(() => nx.mean(x, 1 as unknown as nx.ReduceOptions))?.message).toMatch(/^nx\.mean: options must be an object with keys axis, keepDims; got number 1 \(for an axis write \{axis: 1\}\)$/);
    nx.dispose(x);
  });
  it('every kind of nx function checks: reductions, nn, indexing, creation, random, io, grad, dtypes', () => {
    const x = nx.ones([1, 1, 4, 4]);
    const key = nx.random.key(0);
    const cases: Array<[() => unknown, RegExp]> = [
      [() => nx.std(x, { ddf: 1 } as nx.VarianceOptions), /nx\.std: unknown option "ddf"; did you mean "ddof"\?/],
      [() => nx.argmax(x, { keepdims: true } as nx.ArgOptions), /nx\.argmax: unknown option "keepdims"; did you mean "keepDims"\?/],
      [() => nx.cumsum(x, { axis: 0, exclusiv: true } as nx.CumsumOptions), /nx\.cumsum: unknown option "exclusiv"; did you mean "exclusive"\?/],
      [() => nx.conv2d(x, nx.ones([1, 1, 3, 3]), { strides: 2 } as nx.Conv2dOptions), /nx\.conv2d: unknown option "strides"; did you mean "stride"\?/],
      [() => nx.maxPool2d(x, { kernel_size: 2 } as unknown as nx.Pool2dOptions), /nx\.maxPool2d: unknown option "kernel_size"; did you mean "kernelSize"\?/],
      [() => nx.take(x, [0], { dim: 0 } as nx.TakeOptions), /nx\.take: unknown option "dim"; did you mean "axis"\?/],
      [() => nx.oneHot([0], 2, { dtyp: 'int32' } as nx.OneHotOptions), /nx\.oneHot: unknown option "dtyp"; did you mean "dtype"\?/],
      [() => nx.fromArray([1, 2], { dtpye: 'int32' } as nx.FromArrayOptions), /nx\.fromArray: unknown option "dtpye"; did you mean "dtype"\?/],
      [() => nx.random.normal(key, [2], { stddev: 2 } as nx.random.NormalOptions), /nx\.random\.normal: unknown option "stddev"; did you mean "std"\?/],
      [() => nx.format(x, { precison: 2 } as nx.FormatOptions), /nx\.format: unknown option "precison"; did you mean "precision"\?/],
      [() => nx.io.serializeSafetensors({ x }, { meta: {} } as nx.io.SaveOptions), /nx\.io\.serializeSafetensors: unknown option "meta"; did you mean "metadata"\?/],
      [() => nx.valueAndGrad((a: nx.Tensor): [nx.Tensor, number] => [nx.sum(a), 1], { aux: true } as unknown as { hasAux: true }), /nx\.valueAndGrad: unknown option "aux"; did you mean "hasAux"\?/],
      [() => nx.checkGrad((a) => nx.sum(a), [x], { tol: 1 } as nx.CheckGradOptions), /nx\.checkGrad: unknown option "tol"/],
      [() => nx.dtypes.decode(new Uint8Array(4), 'F32', { nme: 'w' } as nx.dtypes.CodecOptions), /nx\.dtypes\.decode: unknown option "nme"; did you mean "name"\?/],
    ];
    for (const [f, re] of cases) expect(errorOf(f)?.message).toMatch(re);
    nx.dispose(x);
  });
});
