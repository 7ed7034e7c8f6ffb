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
    expect(() => nx.checkOptions('nx.sum', { dim: 1 } as object, KEYS)).toThrow(/unknown option "dim" \(known options: axis, keepDims\)/);
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
