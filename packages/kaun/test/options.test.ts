// Misspelt option names are errors that name the key and the closest valid one, in every kind of
// kaun function (a sample of each family; docs/test/option-checks.test.ts checks every function
// calls the checker). These are the mistakes of issue 14: fit's epoch, adam's learningRate,
// earlyStopping's patients.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Checkpoint, Data, Init, Layer, Loss, Metric, Optim, Ptree, Train } from '@raven/kaun';

const dir = mkdtempSync(join(tmpdir(), 'kaun-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}
async function rejected(p: Promise<unknown>): Promise<Error> {
  return p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e as Error);
}

function setup() {
  const model = Layer.sequential([Layer.linear({ inFeatures: 2, outFeatures: 1 })]);
  const trainer = Train.make({ model, optimizer: Optim.sgd({ lr: 0.1 }), loss: Loss.mse });
  const state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
  const data = Data.fromArrays({ x: { data: new Float32Array(8), shape: [4, 2] }, y: { data: new Float32Array(4), shape: [4, 1] } }).batch(2);
  return { model, trainer, state, data };
}

describe('kaun functions check their option names', () => {
  it('Train.fit(..., {epoch: 5}) fails before training, naming epochs; the state is not consumed', async () => {
    const { trainer, state, data } = setup();
    const e = await rejected(Train.fit(trainer, state, data, { epoch: 5, progress: false } as Train.FitOptions));
    expect(e).toBeInstanceOf(nx.OptionError);
    expect(e.message).toBe('Train.fit: unknown option "epoch"; did you mean "epochs"? (known options: epochs, initialEpoch, validation, callbacks, earlyStopping, resumeFrom, progress, nonFinite, asyncSteps, stepsPerExecution)');
    // nothing ran: the state is still usable
    const { state: s2, history } = await Train.fit(trainer, state, data, { epochs: 2, progress: false });
    expect(history['loss']).toHaveLength(2);
    Ptree.dispose([s2.vars.params, s2.optState]);
  });

  it("Optim.adam({learningRate: 0.1}) fails naming lr instead of training at 1e-3", () => {
    const e = thrown(() => Optim.adam({ learningRate: 0.1 } as Optim.AdamOptions));
    expect(e).toBeInstanceOf(nx.OptionError);
    expect(e.message).toBe('Optim.adam: unknown option "learningRate"; did you mean "lr"? (known options: lr, b1, b2, eps, weightDecay)');
    expect(thrown(() => Optim.sgd({ lr: 0.1, nesterow: true } as Optim.SgdOptions)).message).toMatch(/^Optim\.sgd: unknown option "nesterow"; did you mean "nesterov"\?/);
    expect(thrown(() => Optim.Schedule.cosine({ init: 1, decay_steps: 10 } as unknown as Optim.Schedule.CosineOptions)).message).toMatch(/^Optim\.Schedule\.cosine: unknown option "decay_steps"; did you mean "decaySteps"\?/);
  });

  it('earlyStopping: {patients: 1} (a nested options object) fails naming patience', async () => {
    const { trainer, state, data } = setup();
    const e = await rejected(Train.fit(trainer, state, data, { epochs: 3, progress: false, earlyStopping: { patients: 1 } as Train.EarlyStoppingOptions }));
    expect(e).toBeInstanceOf(nx.OptionError);
    expect(e.message).toBe('Train.fit: earlyStopping: unknown option "patients"; did you mean "patience"? (known options: monitor, patience, minDelta, mode, restoreBest)');
    Ptree.dispose([state.vars.params, state.optState]);
  });

  it('layers, their init and apply options, losses, metrics, initializers, data, trainer, checkpoints', async () => {
    const { model, trainer, state } = setup();
    const x = nx.ones([2, 2]);
    const cases: Array<[() => unknown, RegExp]> = [
      [() => Layer.linear({ inFeatures: 2, outFeature: 3 } as unknown as Layer.LinearOptions), /^Layer\.linear: unknown option "outFeature"; did you mean "outFeatures"\?/],
      [() => Layer.dropout({ p: 0.5 } as unknown as Layer.DropoutOptions), /^Layer\.dropout: unknown option "p" \(known options: rate\)/],
      [() => model.init({ seed: 0 } as unknown as Layer.InitOptions), /^Layer\.sequential: init: unknown option "seed" \(known options: key, dtype\)/],
      [() => model.apply(state.vars, x, { trainig: true } as Layer.ApplyOptions), /^Layer\.sequential: apply: unknown option "trainig"; did you mean "training"\?/],
      [() => Loss.softmaxCrossEntropy(x, nx.fromArray([0, 1], { dtype: 'int32' }), { label_smoothing: 0.1 } as Loss.SoftmaxCrossEntropyOptions), /^Loss\.softmaxCrossEntropy: unknown option "label_smoothing"; did you mean "labelSmoothing"\?/],
      [() => Metric.topKAccuracy(x, nx.fromArray([0, 1], { dtype: 'int32' }), { topk: 1 } as Metric.TopKAccuracyOptions), /^Metric\.topKAccuracy: unknown option "topk"/],
      [() => Init.normal({ stddev: 1 } as Init.NormalOptions), /^Init\.normal: unknown option "stddev"; did you mean "std"\?/],
      [() => Data.fromArrays({ a: { data: new Float32Array(4), shape: [4] } }).batch(2, { droplast: true } as Data.BatchOptions), /^Source\.batch: unknown option "droplast"; did you mean "dropLast"\?/],
      [() => Train.make({ model, optimizer: Optim.sgd(), loss: Loss.mse, metric: {} } as unknown as Train.TrainerOptions), /^Train\.make: unknown option "metric"; did you mean "metrics"\?/],
      [() => Train.evaluate(trainer, state, [], { metric: {} } as Train.EvaluateOptions), /^Train\.evaluate: unknown option "metric"; did you mean "metrics"\?/],
      [() => Ptree.format(state.vars.params, { maxleaves: 3 } as Ptree.FormatOptions), /^Ptree\.format: unknown option "maxleaves"; did you mean "maxLeaves"\?/],
    ];
    for (const [f, re] of cases) {
      const e = thrown(f);
      expect(e, String(re)).toBeInstanceOf(nx.OptionError);
      expect(e.message).toMatch(re);
    }
    const e = await rejected(Checkpoint.save(join(dir, 'c.safetensors'), state.vars.params, { max_shard_size: '1MB' } as Checkpoint.SaveOptions));
    expect(e.message).toMatch(/^Checkpoint\.save: unknown option "max_shard_size"; did you mean "maxShardSize"\?/);
    nx.dispose(x);
    Ptree.dispose([state.vars.params, state.optState]);
  });
});
