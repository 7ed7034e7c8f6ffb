/** Layer.summary: rows, output shapes and counts computed by hand for nested models. */
import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Layer, LayerError, Ptree } from '@raven/kaun';

describe('Layer.summary', () => {
  it('nested sequential and named models: output shapes, counts by hand, state as non-trainable', () => {
    const block = Layer.sequential([Layer.linear({ inFeatures: 8, outFeatures: 8 }), Layer.batchNorm({ numFeatures: 8 }), Layer.relu()]);
    const model = Layer.named({
      encoder: Layer.sequential([Layer.linear({ inFeatures: 4, outFeatures: 8 }), block]),
      head: Layer.linear({ inFeatures: 8, outFeatures: 3 }),
    }, (call, x: nx.Tensor) => call('head', call('encoder', x)));
    const live = nx.memory().numTensors;
    const s = Layer.summary(model, { inputShape: [2, 4] });
    expect(nx.memory().numTensors).toBe(live); // the fresh variables and the run are freed
    expect(s.rows.map((r) => [r.path, r.kind, r.output, r.params, r.trainable])).toEqual([
      ['', 'named', '[2, 3]', 40 + 72 + 8 + 8 + 17 + 27, 40 + 72 + 16 + 27],
      ['encoder', 'sequential', '[2, 8]', 40 + 72 + 16 + 17, 40 + 72 + 16],
      ['encoder.0', 'linear', '[2, 8]', 40, 40],
      ['encoder.1', 'sequential', '[2, 8]', 72 + 16 + 17, 72 + 16],
      ['encoder.1.0', 'linear', '[2, 8]', 72, 72],
      ['encoder.1.1', 'batchNorm', '[2, 8]', 16 + 17, 16], // running mean, var (8 each) and the batch count
      ['encoder.1.2', 'relu', '[2, 8]', 0, 0],
      ['head', 'linear', '[2, 3]', 27, 27],
    ]);
    expect([s.total, s.trainable, s.nonTrainable]).toEqual([172, 155, 17]);
    const vars = model.init({ key: nx.random.key(0) });
    expect(s.total).toBe(Ptree.countParameters(vars.params) + Ptree.countParameters(vars.state));
    expect(s.text).toMatch(/^Layer \(type\) +Output shape +Param #\n=+\n\(model\) \(named\) +\[2, 3\] +172\n  encoder \(sequential\)/);
    expect(s.text).toMatch(/Total params: 172 \(688 B\)\nTrainable params: 155\nNon-trainable params: 17$/);
    // frozen parameters count as non-trainable; depth limits the rows shown
    const frozen = Layer.summary(model, { inputShape: [2, 4], vars, trainable: (p) => p.startsWith('head.'), depth: 1 });
    expect([frozen.trainable, frozen.nonTrainable]).toEqual([27, 145]);
    expect(frozen.text.split('\n').filter((l) => /\((named|sequential|linear)\)/.test(l))).toHaveLength(3);
    Ptree.dispose([vars.params, vars.state]);
  });

  it('shared layers are counted once, with their calls; bad options are named', () => {
    const shared = Layer.linear({ inFeatures: 3, outFeatures: 3 });
    const model = Layer.named({ shared }, (call, x: nx.Tensor) => call('shared', call('shared', x)));
    const s = Layer.summary(model, { input: nx.ones([1, 3]) });
    expect(s.rows[1]).toMatchObject({ path: 'shared', calls: 2, params: 12 });
    expect(s.total).toBe(12);
    expect(s.text).toContain('shared (linear) x2');
    expect(() => Layer.summary(model, {})).toThrow(LayerError);
    expect(() => Layer.summary(model, { inputshape: [1, 3] } as never)).toThrow(/did you mean "inputShape"/);
  });

  it('recurrent and convolution layers report their outputs', () => {
    const model = Layer.sequential([Layer.lstm({ inputSize: 4, hiddenSize: 6 }), Layer.fn((h: nx.Tensor) => nx.mean(h, { axis: 1 })), Layer.linear({ inFeatures: 6, outFeatures: 2 })]);
    const s = Layer.summary(model, { inputShape: [2, 5, 4] });
    expect(s.rows.map((r) => r.output)).toEqual(['[2, 2]', '[2, 5, 6]', '[2, 6]', '[2, 2]']);
    expect(s.rows[1]).toMatchObject({ kind: 'lstm', params: 4 * 6 * (4 + 6 + 2) });
  });
});
