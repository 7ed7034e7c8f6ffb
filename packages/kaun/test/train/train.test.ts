import { afterEach, describe, expect, it, vi } from 'vitest';
import * as nx from '@raven/nx';
import { Data, Layer, Loss, Metric, Optim, Ptree, Train } from '@raven/kaun';

const XOR_X = new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]);
const XOR_Y = new Float32Array([0, 1, 1, 0]);
const REPEAT = 50; // the four rows repeated: 50 steps of batch 4 per epoch
const xorData = () => Data.fromArrays({
  x: { data: Float32Array.from({ length: 8 * REPEAT }, (_, i) => XOR_X[i % 8]!), shape: [4 * REPEAT, 2] },
  y: { data: Float32Array.from({ length: 4 * REPEAT }, (_, i) => XOR_Y[i % 4]!), shape: [4 * REPEAT] },
}).batch(4);

function xorModel() {
  const mlp = Layer.sequential([Layer.linear({ inFeatures: 2, outFeatures: 8 }), Layer.tanh(), Layer.linear({ inFeatures: 8, outFeatures: 1 })]);
  // squeeze the last axis so outputs match targets [B]
  const model: Layer.Layer = { init: (o) => mlp.init(o), apply: (v, x, o) => { const r = mlp.apply(v, x, o); return { y: nx.scope(() => nx.reshape(r.y, [-1])), state: r.state }; } };
  return model;
}

/** A 1 -> 1 linear model without bias whose weight starts at `w0`. */
function scalarModel(w0: number) {
  const layer = Layer.linear({ inFeatures: 1, outFeatures: 1, bias: false });
  return { layer, vars: { params: { weight: nx.full([1, 1], w0) }, state: {}, dtype: 'float32' as const } };
}
const weightOf = (s: Train.TrainState) => Number(nx.item(nx.reshape((s.vars.params as { weight: nx.Tensor }).weight, [])));
const line = (slope: number) => Data.fromArrays({ x: { data: new Float32Array([1, 2, -1, 0.5]), shape: [4, 1] }, y: { data: new Float32Array([1, 2, -1, 0.5].map((v) => v * slope)), shape: [4, 1] } }).batch(2);

afterEach(() => { vi.restoreAllMocks(); });

describe('Train', () => {
  it('XOR converges with fit, and predict gives the four answers', async () => {
    const model = xorModel();
    const trainer = Train.make({ model, optimizer: Optim.adam({ lr: 0.05 }), loss: Loss.sigmoidBinaryCrossEntropy, metrics: { acc: (y, t) => Metric.binaryAccuracy(y, t, { threshold: 0 }) } });
    const state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
    const { state: trained, history } = await Train.fit(trainer, state, xorData(), { epochs: 6, progress: false });
    expect(history['loss']!.at(-1)).toBeLessThan(0.05);
    expect(history['acc']!.at(-1)).toBe(1);
    const logits = Train.predict(trainer, trained, nx.fromArray(XOR_X, { shape: [4, 2] }));
    expect(Array.from(nx.toTypedArray(logits), (v) => (v > 0 ? 1 : 0))).toEqual([0, 1, 1, 0]);
    Ptree.dispose([trained.vars.params, trained.optState, logits]);
  }, 60_000);

  it('step: one update, the loss before it, the old tensors disposed, the count advanced', () => {
    const { layer, vars } = scalarModel(0.5);
    const trainer = Train.make({ model: layer, optimizer: Optim.sgd({ lr: 0.1 }), loss: Loss.mse });
    const s0 = Train.makeState(trainer, vars);
    const oldW = (s0.vars.params as { weight: nx.Tensor }).weight;
    const batch = { x: nx.fromArray([[1], [2]]), y: nx.fromArray([[2], [4]]) };
    const { state: s1, loss } = Train.step(trainer, s0, batch);
    // loss = mean((w x - 2x)^2) = ((0.5-2)^2 * (1 + 4)) / 2; grad = mean(2 (w-2) x^2) = (w-2) * 5
    expect(Number(nx.item(loss))).toBeCloseTo(2.25 * 5 / 2, 5);
    expect(weightOf(s1)).toBeCloseTo(0.5 - 0.1 * (0.5 - 2) * 5, 5);
    expect(oldW.isDisposed).toBe(true);
    expect(s1.step).toBe(1);
    expect(batch.x.isDisposed).toBe(false);
    nx.dispose([batch, loss, s1.vars.params]);
  });

  it('batch norm running statistics thread through the steps', () => {
    const model = Layer.sequential([Layer.batchNorm({ numFeatures: 2 }), Layer.linear({ inFeatures: 2, outFeatures: 1 })]);
    const trainer = Train.make({ model, optimizer: Optim.sgd({ lr: 0.01 }), loss: Loss.mse });
    let state = Train.makeState(trainer, model.init({ key: nx.random.key(1) }));
    const x = nx.fromArray([[1, 10], [3, 20], [5, 30], [7, 40]]); // column means 4 and 25
    const y = nx.zeros([4, 1]);
    const rm = () => Array.from(nx.toTypedArray((state.vars.state as Array<Record<string, nx.Tensor>>)[0]!['running_mean']!));
    const oldStats = (state.vars.state as Array<Record<string, nx.Tensor>>)[0]!['running_mean']!;
    for (let i = 0; i < 2; i++) {
      const r = Train.step(trainer, state, { x, y });
      state = r.state;
      nx.dispose(r.loss);
    }
    // running = 0.9 running + 0.1 batch mean, twice from 0: 0.19 * mean
    const [a, b] = rm();
    expect(a).toBeCloseTo(0.19 * 4, 5);
    expect(b).toBeCloseTo(0.19 * 25, 5);
    expect(oldStats.isDisposed).toBe(true);
    expect(Number(nx.item((state.vars.state as Array<Record<string, nx.Tensor>>)[0]!['num_batches_tracked']!))).toBe(2);
    // evaluate uses the running statistics (eval mode), not the batch's
    const evalOut = Train.predict(trainer, state, x);
    const trainOut = model.apply(state.vars, x, { training: true }).y;
    expect(Array.from(nx.toTypedArray(evalOut))).not.toEqual(Array.from(nx.toTypedArray(trainOut)));
  });

  it('early stopping stops after patience and restores the best variables', async () => {
    // train towards slope 3 from 0; validation wants slope 1: val_loss falls, then rises
    const { layer, vars } = scalarModel(0);
    const trainer = Train.make({ model: layer, optimizer: Optim.sgd({ lr: 0.01 }), loss: Loss.mse });
    const seen: number[] = [];
    const result = await Train.fit(trainer, Train.makeState(trainer, vars), line(3), {
      epochs: 50, validation: line(1), progress: false,
      earlyStopping: { patience: 2, restoreBest: true },
      callbacks: { onEpochEnd: ({ state }) => { seen.push(weightOf(state)); } },
    });
    const best = result.bestEpoch!;
    const vl = result.history['val_loss']!;
    expect(result.stopped).toBe(true);
    expect(vl.length).toBe(best + 1 + 2); // two epochs without improvement, then stop
    expect(Math.min(...vl)).toBe(vl[best]);
    expect(vl[best + 1]!).toBeGreaterThanOrEqual(vl[best]!);
    expect(best).toBeGreaterThan(0);
    expect(weightOf(result.state)).toBeCloseTo(seen[best]!, 6);
    expect(weightOf(result.state)).not.toBeCloseTo(seen.at(-1)!, 3);
  });

  it('calls callbacks in order, and a callback can stop training', async () => {
    const { layer, vars } = scalarModel(0);
    const trainer = Train.make({ model: layer, optimizer: Optim.sgd({ lr: 0.01 }), loss: Loss.mse });
    const events: string[] = [];
    const losses: number[] = [];
    const r = await Train.fit(trainer, Train.makeState(trainer, vars), line(2), {
      epochs: 5, progress: false,
      callbacks: [{
        onTrainBegin: () => { events.push('begin'); },
        onEpochBegin: ({ epoch }) => { events.push(`e${epoch}`); },
        onBatchEnd: ({ epoch, batch, size, loss }) => { events.push(`b${epoch}.${batch}:${size}`); losses.push(Number(nx.item(loss))); },
        onEpochEnd: async ({ epoch, logs, stop }) => { events.push(`end${epoch}`); expect(logs['loss']).toBeGreaterThan(0); if (epoch === 1) stop(); },
        onTrainEnd: ({ history }) => { events.push(`done${history['loss']!.length}`); },
      }],
    });
    expect(events).toEqual(['begin', 'e0', 'b0.0:2', 'b0.1:2', 'end0', 'e1', 'b1.0:2', 'b1.1:2', 'end1', 'done2']);
    expect(r.stopped).toBe(true);
    expect(r.history['loss']![0]).toBeCloseTo((losses[0]! + losses[1]!) / 2, 5);
  });

  it('onBatchEnd can read every batch loss, however many batches an epoch has', async () => {
    const { layer, vars } = scalarModel(0);
    const trainer = Train.make({ model: layer, optimizer: Optim.sgd({ lr: 0.001 }), loss: Loss.mse });
    const x = Float32Array.from({ length: 150 }, (_, i) => (i % 7) - 3);
    const data = Data.fromArrays({ x: { data: x, shape: [150, 1] }, y: { data: x.map((v) => 2 * v), shape: [150, 1] } }).batch(1);
    const losses: number[] = [];
    const r = await Train.fit(trainer, Train.makeState(trainer, vars), data, { epochs: 1, progress: false, callbacks: { onBatchEnd: ({ loss }) => { losses.push(Number(nx.item(loss))); } } });
    expect(losses).toHaveLength(150); // past the running mean's folds every 64 batches
    expect(r.history['loss']![0]).toBeCloseTo(losses.reduce((a, b) => a + b, 0) / 150, 4);
  });

  it('does not leak: live tensors are flat across epochs with metrics and validation', async () => {
    const x = Float32Array.from({ length: 64 * 4 }, (_, i) => Math.sin(i));
    const y = Int32Array.from({ length: 64 }, (_, i) => i % 3);
    const data = Data.fromArrays({ x: { data: x, shape: [64, 4] }, y }).shuffle(nx.random.key(0)).batch(10);
    const model = Layer.sequential([Layer.linear({ inFeatures: 4, outFeatures: 16 }), Layer.relu(), Layer.dropout({ rate: 0.2 }), Layer.linear({ inFeatures: 16, outFeatures: 3 })]);
    const trainer = Train.make({ model, optimizer: Optim.chain(Optim.clipByGlobalNorm(1), Optim.adamw({ lr: Optim.Schedule.warmupCosine({ peak: 0.01, warmupSteps: 5, decaySteps: 40 }) })), loss: Loss.softmaxCrossEntropy, metrics: { accuracy: Metric.accuracy, f1: Metric.confusion({ metric: 'f1', numClasses: 3 }) } });
    const state = Train.makeState(trainer, model.init({ key: nx.random.key(2) }));
    const counts: number[] = [];
    const start = nx.memory().numTensors;
    const r = await Train.fit(trainer, state, data, { epochs: 4, validation: data, progress: false, callbacks: { onEpochEnd: () => { counts.push(nx.memory().numTensors); } } });
    expect(new Set(counts).size).toBe(1);
    expect(nx.memory().numTensors).toBe(start);
    expect(Object.keys(r.history).sort()).toEqual(['accuracy', 'f1', 'loss', 'val_accuracy', 'val_f1', 'val_loss']);
  });

  it('evaluate gives the example-weighted mean loss and metrics; predict concatenates batches', () => {
    const { layer, vars } = scalarModel(1.5);
    const trainer = Train.make({ model: layer, optimizer: Optim.sgd(), loss: Loss.mse, metrics: { mae: Loss.mae } });
    const state = Train.makeState(trainer, vars);
    const xs = [1, 2, -1, 0.5, 3];
    const data = Data.fromArrays({ x: { data: new Float32Array(xs), shape: [5, 1] }, y: { data: new Float32Array(xs.map((v) => 2 * v)), shape: [5, 1] } }).batch(2);
    const logs = Train.evaluate(trainer, state, data);
    expect(logs['loss']).toBeCloseTo(xs.reduce((s, v) => s + (0.5 * v) ** 2, 0) / 5, 5);
    expect(logs['mae']).toBeCloseTo(xs.reduce((s, v) => s + Math.abs(0.5 * v), 0) / 5, 5);
    const pred = Train.predict(trainer, state, data);
    expect(pred.shape).toEqual([5, 1]);
    Array.from(nx.toTypedArray(pred)).forEach((v, i) => expect(v).toBeCloseTo(1.5 * xs[i]!, 5));
  });

  it('fit takes a plain array of batches: reused every epoch and left to the caller', async () => {
    const { layer, vars } = scalarModel(0);
    const trainer = Train.make({ model: layer, optimizer: Optim.sgd({ lr: 0.1 }), loss: Loss.mse });
    const batches = [{ x: nx.fromArray([[1], [2]]), y: nx.fromArray([[3], [6]]) }];
    const r = await Train.fit(trainer, Train.makeState(trainer, vars), batches, { epochs: 3, progress: false });
    expect(r.state.step).toBe(3);
    expect(batches[0]!.x.isDisposed).toBe(false);
    expect(r.history['loss']![2]!).toBeLessThan(r.history['loss']![0]!);
    nx.dispose(batches);
  });

  it('progress: one line per epoch when not a TTY, nothing when false', async () => {
    const { layer, vars } = scalarModel(0);
    const trainer = Train.make({ model: layer, optimizer: Optim.sgd({ lr: 0.01 }), loss: Loss.mse });
    const writes: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { writes.push(String(s)); return true; });
    const r = await Train.fit(trainer, Train.makeState(trainer, vars), line(2), { epochs: 2, progress: 'lines' });
    await Train.fit(trainer, r.state, line(2), { epochs: 2, progress: false });
    vi.restoreAllMocks();
    expect(writes.length).toBe(2);
    expect(writes[0]).toMatch(/^Epoch 1\/2 .*samples\/s .*loss \d/);
    expect(writes[1]).toMatch(/^Epoch 2\/2 /);
  });

  it('progress bar mode: redraws one line with carriage returns and ends each epoch with a newline', async () => {
    const { layer, vars } = scalarModel(0);
    const trainer = Train.make({ model: layer, optimizer: Optim.sgd({ lr: 0.01 }), loss: Loss.mse });
    const writes: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { writes.push(String(s)); return true; });
    const slow = { onBatchEnd: () => new Promise<void>((resolve) => setTimeout(resolve, 120)) }; // lets the bar redraw
    await Train.fit(trainer, Train.makeState(trainer, vars), line(2), { epochs: 1, progress: 'bar', callbacks: slow });
    vi.restoreAllMocks();
    expect(writes.length).toBeGreaterThanOrEqual(2);
    expect(writes.slice(0, -1).every((w) => w.startsWith('\r') && !w.includes('\n') && /\[=* *\]/.test(w) && /loss /.test(w))).toBe(true);
    expect(writes.at(-1)).toMatch(/^\rEpoch 1\/1 .*loss .*\n$/);
  });

  it('rejects bad trainers and options', async () => {
    const { layer, vars } = scalarModel(0);
    expect(() => Train.make({ model: layer, optimizer: {} as Optim.Optimizer, loss: Loss.mse })).toThrow(/optimizer/);
    expect(() => Train.make({ model: layer, optimizer: Optim.sgd(), loss: Loss.mse, metrics: { val_x: Metric.accuracy } })).toThrow(/reserved/);
    const trainer = Train.make({ model: layer, optimizer: Optim.sgd(), loss: Loss.mse });
    await expect(Train.fit(trainer, Train.makeState(trainer, vars), line(1), { epochs: -1 })).rejects.toThrow(/epochs/);
    await expect(Train.fit(trainer, Train.makeState(trainer, vars), line(1), { progress: false, earlyStopping: { monitor: 'val_loss' } })).rejects.toThrow(/not logged/);
  });
});
