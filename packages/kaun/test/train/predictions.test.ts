import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Data, Layer, Loss, Metric, Optim, Train, KaunError } from '@raven/kaun';

// A model whose output is an object, like BERT's {logits, ...}: fixed logits, whatever the input.
const objectModel: Layer.Layer<nx.Tensor, { logits: nx.Tensor; extra: nx.Tensor }> = {
  init: () => ({ params: { b: nx.zeros([1]) }, state: {}, dtype: 'float32' }),
  apply: (vars, x) => {
    const b = (vars.params as { b: nx.Tensor }).b;
    // row i predicts class (i mod 2): logits [[2, 0], [0, 2], ...] + b
    const n = x.shape[0]!;
    const rows = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? [2, 0] : [0, 2]));
    return { y: { logits: nx.add(nx.fromArray(rows), b), extra: nx.zeros([n]) }, state: {} };
  },
};

describe('Train with a model that returns an object', () => {
  const x = nx.zeros([4, 3]);
  const y = nx.fromArray(new Int32Array([0, 1, 1, 1]), { dtype: 'int32' }); // 3 of 4 predictions right
  const data = () => Data.fromTensors({ x, y }).batch(4);

  it('metrics read the tensor picked by `predictions`', () => {
    const trainer = Train.make({
      model: objectModel,
      optimizer: Optim.sgd({ lr: 0.1 }),
      loss: (out, t) => Loss.softmaxCrossEntropy(out.logits, t),
      metrics: { accuracy: Metric.accuracy },
      predictions: (out) => out.logits,
    });
    const state = Train.makeState(trainer, objectModel.init({ key: nx.random.key(0) }));
    const logs = Train.evaluate(trainer, state, data());
    expect(logs['accuracy']).toBeCloseTo(0.75, 6);
  });

  it('without `predictions`, using metrics is an error that says what to pass', () => {
    const trainer = Train.make({
      model: objectModel,
      optimizer: Optim.sgd({ lr: 0.1 }),
      loss: (out, t) => Loss.softmaxCrossEntropy(out.logits, t),
      metrics: { accuracy: Metric.accuracy },
    });
    const state = Train.makeState(trainer, objectModel.init({ key: nx.random.key(0) }));
    expect(() => Train.evaluate(trainer, state, data())).toThrow(KaunError);
    expect(() => Train.evaluate(trainer, state, data())).toThrow(/predictions: \(out\) => out\.logits/);
  });
});
