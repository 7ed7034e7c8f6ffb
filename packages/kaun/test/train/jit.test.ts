/**
 * `Train.make({..., jit: true})`: each training step (forward, loss, backward, optimizer update)
 * as one TensorFlow graph through nx.jit. On the native backend (the CI's native leg) jitted and
 * eager training must agree step for step, on the real MNIST too, resume from checkpoints across
 * the two, and not leak; on wasm and cpu the flag runs eagerly and says so once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as nx from '@raven/nx';
import { Checkpoint, Data, Datasets, Layer, Loss, Metric, Optim, Ptree, Train } from '@raven/kaun';

const native = nx.backendInfo().backend === 'tensorflow';

afterEach(() => { vi.restoreAllMocks(); });

/** Largest absolute difference between the leaves of two trees of the same structure. */
function treeDiff(a: Ptree.Tree, b: Ptree.Tree): number {
  const la = Ptree.leaves(a);
  const lb = Ptree.leaves(b);
  expect(lb.length).toBe(la.length);
  let d = 0;
  la.forEach((t, i) => { d = Math.max(d, nx.item(nx.scope(() => nx.max(nx.abs(nx.sub(nx.cast(t, 'float32'), nx.cast(lb[i]!, 'float32')))))) as number); });
  return d;
}

/** A CNN with batch norm and dropout: the randomness comes from the step keys. */
function cnn(): Layer.Layer {
  return Layer.sequential([
    Layer.conv2d({ inChannels: 1, outChannels: 4, kernelSize: 3 }), Layer.batchNorm({ numFeatures: 4 }), Layer.relu(), Layer.maxPool2d({ kernelSize: 2 }),
    Layer.dropout({ rate: 0.3 }), Layer.flatten(), Layer.linear({ inFeatures: 4 * 5 * 5, outFeatures: 3 }),
  ]);
}
const images = (i: number, n = 6) => ({ x: nx.random.normal(nx.random.key(100 + i), [n, 1, 12, 12]), y: nx.random.randint(nx.random.key(200 + i), [n], 0, 3) });

/** Steps an eager and a jitted trainer of the CNN side by side on the same batches. */
function sideBySide(steps: number): { se: Train.TrainState; sj: Train.TrainState; losses: Array<[number, number]> } {
  const model = cnn();
  const make = (jit: boolean) => Train.make({ model, optimizer: Optim.adam({ lr: 1e-2 }), loss: Loss.softmaxCrossEntropy, jit });
  const te = make(false);
  const tj = make(true);
  let se = Train.makeState(te, model.init({ key: nx.random.key(0) }));
  let sj = Train.makeState(tj, model.init({ key: nx.random.key(0) }));
  const losses: Array<[number, number]> = [];
  for (let i = 0; i < steps; i++) {
    const b = images(i);
    const re = Train.step(te, se, b);
    const rj = Train.step(tj, sj, b);
    se = re.state;
    sj = rj.state;
    losses.push([nx.item(re.loss) as number, nx.item(rj.loss) as number]);
    nx.dispose([re.loss, rj.loss, b]);
  }
  return { se, sj, losses };
}

const mlp = (): Layer.Layer => Layer.sequential([Layer.linear({ inFeatures: 784, outFeatures: 64 }), Layer.relu(), Layer.linear({ inFeatures: 64, outFeatures: 10 })]);

function mnistBatches(split: Datasets.ImageSplit, count: number, seed?: number) {
  let d = Data.fromArrays({ x: { data: split.images, shape: [split.count, 784], dtype: 'float32' }, y: { data: split.labels, shape: [split.count], dtype: 'int32' } }).take(count);
  if (seed !== undefined) d = d.shuffle(nx.random.key(seed));
  return d.batch(100).map(({ x, y }) => ({ x: nx.mul(x, 1 / 255), y }));
}

describe.skipIf(!native)('Train with jit: true on the native backend (skipped elsewhere: graphs need TensorFlow)', () => {
  it('a CNN with batch norm and dropout: jitted steps equal eager ones (parameters, statistics, Adam state)', () => {
    const { se, sj, losses } = sideBySide(5);
    for (const [e, j] of losses) expect(Math.abs(e - j)).toBeLessThan(1e-5);
    expect(treeDiff(se.vars.params, sj.vars.params)).toBeLessThan(1e-5);
    expect(treeDiff(se.vars.state, sj.vars.state)).toBeLessThan(1e-5);
    expect(treeDiff(se.optState, sj.optState)).toBeLessThan(1e-5);
    expect(sj.step).toBe(5);
    expect(new Set(losses.map(([, j]) => j)).size).toBe(5); // fresh dropout masks per step
    nx.dispose([se.vars.params, se.vars.state, se.optState, sj.vars.params, sj.vars.state, sj.optState]);
  });

  it.runIf(native && !nx.backendInfo().tensorflow?.gpu)('with Optim.adam, the graph writes each parameter in its fused Adam op (RavenAdamApply, no separate Mul and Add)', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const raven = (tf.backend() as unknown as { binding: { raven: { jitFunctionDef(name: string): Uint8Array } } }).binding.raven;
    const model = mlp();
    const trainer = Train.make({ model, optimizer: Optim.adam({ lr: 1e-3 }), loss: Loss.softmaxCrossEntropy, jit: true });
    let state = Train.makeState(trainer, model.init({ key: nx.random.key(4) }));
    const batch = { x: nx.random.uniform(nx.random.key(5), [32, 784]), y: nx.fromArray(Int32Array.from({ length: 32 }, (_, i) => i % 10), { shape: [32], dtype: 'int32' }) };
    for (let i = 0; i < 2; i++) {
      const r = Train.step(trainer, state, batch);
      state = r.state;
      r.loss.dispose();
    }
    // the newest Train_step function this process registered (nx.jit numbers them raven_jit_<n>_<label>)
    let text: string | undefined;
    for (let n = 0; n < 10_000; n++) {
      try {
        text = Buffer.from(raven.jitFunctionDef(`raven_jit_${n}_Train_step`)).toString('latin1');
      } catch {
        // another number
      }
    }
    expect(text).toBeDefined();
    expect(text!.split('RavenAdamApply').length - 1).toBe(Ptree.leaves(state.vars.params).length); // one op per leaf
    expect(text!).not.toContain('RavenAdamUpdate');
    nx.dispose([batch.x, batch.y, state.vars.params, state.vars.state, state.optState]);
  });

  it('a learning-rate schedule and AdamW: the step count advances inside the graph', () => {
    const model = Layer.linear({ inFeatures: 3, outFeatures: 2 });
    const optimizer = Optim.adamw({ lr: Optim.Schedule.warmupCosine({ peak: 0.1, warmupSteps: 3, decaySteps: 10 }), weightDecay: 0.1 });
    const te = Train.make({ model, optimizer, loss: Loss.mse });
    const tj = Train.make({ model, optimizer, loss: Loss.mse, jit: true });
    let se = Train.makeState(te, model.init({ key: nx.random.key(1) }));
    let sj = Train.makeState(tj, model.init({ key: nx.random.key(1) }));
    const x = nx.random.normal(nx.random.key(2), [4, 3]);
    const y = nx.random.normal(nx.random.key(3), [4, 2]);
    for (let i = 0; i < 8; i++) {
      const re = Train.step(te, se, { x, y });
      const rj = Train.step(tj, sj, { x, y });
      se = re.state;
      sj = rj.state;
      nx.dispose([re.loss, rj.loss]);
    }
    expect(treeDiff(se.vars.params, sj.vars.params)).toBeLessThan(1e-6);
    expect(treeDiff(se.optState, sj.optState)).toBeLessThan(1e-6);
    nx.dispose([se.vars.params, se.optState, sj.vars.params, sj.optState, x, y]);
  });

  it('MNIST: jitted and eager fit give the same losses and test accuracy; resume works across jit and eager', async () => {
    const { train, test } = await Datasets.mnist();
    const model = mlp();
    const make = (jit: boolean) => Train.make({ model, optimizer: Optim.adam({ lr: 2e-3 }), loss: Loss.softmaxCrossEntropy, metrics: { accuracy: Metric.accuracy }, jit });
    const run = async (jit: boolean) => {
      const trainer = make(jit);
      const r = await Train.fit(trainer, Train.makeState(trainer, model.init({ key: nx.random.key(0) })), mnistBatches(train, 3000, 1), { epochs: 2, progress: false });
      const evaluation = Train.evaluate(trainer, r.state, mnistBatches(test, 1000));
      return { r, evaluation };
    };
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const e = await run(false);
    const j = await run(true);
    expect(j.evaluation['accuracy']).toBeGreaterThan(0.8);
    expect(Math.abs(j.evaluation['accuracy']! - e.evaluation['accuracy']!)).toBeLessThan(0.005);
    j.r.history['loss']!.forEach((l, i) => expect(Math.abs(l - e.r.history['loss']![i]!)).toBeLessThan(1e-4));
    j.r.history['accuracy']!.forEach((a, i) => expect(Math.abs(a - e.r.history['accuracy']![i]!)).toBeLessThan(0.005));

    // resume: a checkpoint of the jitted run continues eagerly, and an eager one continues jitted,
    // both as the straight run continues
    const dir = mkdtempSync(join(tmpdir(), 'jit-resume-'));
    try {
      const batches = mnistBatches(train, 500, 7);
      for (const [from, to] of [[true, false], [false, true]] as const) {
        const path = join(dir, `ckpt-${from}.safetensors`);
        await Checkpoint.saveTraining(path, (from ? j : e).r.state);
        const trainer = make(to);
        const like = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
        const { state } = await Checkpoint.loadTraining(path, { like });
        nx.dispose([like.vars.params, like.optState]);
        const resumed = await Train.fit(trainer, state, batches, { epochs: 1, progress: false });
        const straightTrainer = make(from);
        const straight = await Train.fit(straightTrainer, (from ? j : e).r.state, batches, { epochs: 1, progress: false });
        (from ? j : e).r.state = straight.state;
        expect(resumed.state.step).toBe(straight.state.step);
        expect(treeDiff(resumed.state.vars.params, straight.state.vars.params)).toBeLessThan(1e-5);
        expect(treeDiff(resumed.state.optState, straight.state.optState)).toBeLessThan(1e-5);
        nx.dispose([resumed.state.vars.params, resumed.state.optState]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    nx.dispose([e.r.state.vars.params, e.r.state.optState, j.r.state.vars.params, j.r.state.optState]);
  });

  it('gradient accumulation and injected hyperparameters: the same steps as eager, a changed lr traces again', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const model = Layer.linear({ inFeatures: 3, outFeatures: 2 });
    const optimizer = Optim.multiSteps(Optim.injectHyperparams((h) => Optim.adam({ lr: h.lr }), { lr: 0.05 }), { every: 3 });
    const te = Train.make({ model, optimizer, loss: Loss.mse });
    const tj = Train.make({ model, optimizer, loss: Loss.mse, jit: true });
    let se = Train.makeState(te, model.init({ key: nx.random.key(1) }));
    let sj = Train.makeState(tj, model.init({ key: nx.random.key(1) }));
    for (let i = 0; i < 10; i++) {
      const b = { x: nx.random.normal(nx.random.key(10 + i), [4, 3]), y: nx.random.normal(nx.random.key(20 + i), [4, 2]) };
      if (i === 6) {
        // what Callback.reduceLROnPlateau does: lower the injected learning rate in the state
        for (const s of [se, sj]) {
          const { state: optState, changed } = Optim.setHyperparams(s.optState, (name, v) => (name === 'lr' ? v / 10 : v));
          expect(changed).toBe(1);
          if (s === se) se = { ...se, optState };
          else sj = { ...sj, optState };
        }
      }
      const re = Train.step(te, se, b);
      const rj = Train.step(tj, sj, b);
      se = re.state;
      sj = rj.state;
      nx.dispose([re.loss, rj.loss, b]);
    }
    expect(treeDiff(se.vars.params, sj.vars.params)).toBeLessThan(1e-6);
    expect(treeDiff(se.optState, sj.optState)).toBeLessThan(1e-6);
    expect(Optim.hyperparams(sj.optState)[0]!.values['lr']).toBeCloseTo(0.005, 8);
    nx.dispose([se.vars.params, se.optState, sj.vars.params, sj.optState]);
  });

  it('labels are checked at every jitted step: an out-of-range class id is a LabelError before the graph runs', () => {
    const model = Layer.linear({ inFeatures: 4, outFeatures: 3 });
    const trainer = Train.make({ model, optimizer: Optim.sgd({ lr: 0.1 }), loss: (y: nx.Tensor, t: nx.Tensor) => Loss.softmaxCrossEntropy(y, t, { ignoreIndex: -100 }), jit: true });
    let state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
    const x = nx.random.normal(nx.random.key(1), [4, 4]);
    const good = nx.fromArray([0, 2, -100, 1], { dtype: 'int32' });
    const bad = nx.fromArray([0, 3, 1, 1], { dtype: 'int32' });
    const r = Train.step(trainer, state, { x, y: good });
    state = r.state;
    // the mean is over the three labels that count, as eagerly
    const eager = Train.make({ model, optimizer: Optim.sgd({ lr: 0.1 }), loss: (y: nx.Tensor, t: nx.Tensor) => Loss.softmaxCrossEntropy(y, t, { ignoreIndex: -100 }) });
    const e2 = nx.scope(() => Loss.softmaxCrossEntropy(Train.predict(eager, state, x), good, { ignoreIndex: -100 }));
    const r2 = Train.step(trainer, state, { x, y: good });
    expect(Math.abs((nx.item(r2.loss) as number) - (nx.item(e2) as number))).toBeLessThan(1e-6);
    state = r2.state;
    const params = state.vars.params;
    expect(() => Train.step(trainer, state, { x, y: bad })).toThrow(/label 3 at index 1 is out of range/);
    expect(Ptree.leaves(params).every((t) => !t.isDisposed)).toBe(true); // nothing consumed
    nx.dispose([r.loss, r2.loss, e2, x, good, bad, state.vars.params, state.optState]);
  });

  it('labels already checked eagerly are checked again while tracing, so the graph checks every later call', () => {
    const model = Layer.linear({ inFeatures: 4, outFeatures: 3 });
    const trainer = Train.make({ model, optimizer: Optim.sgd({ lr: 0.1 }), loss: Loss.softmaxCrossEntropy, jit: true });
    let state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
    const x = nx.random.normal(nx.random.key(1), [4, 4]);
    const good = nx.fromArray([0, 2, 2, 1], { dtype: 'int32' });
    const bad = nx.fromArray([0, 1, 7, 1], { dtype: 'int32' });
    nx.dispose(nx.scope(() => Loss.softmaxCrossEntropy(Train.predict(trainer, state, x), good))); // checks and remembers `good`
    const r = Train.step(trainer, state, { x, y: good }); // traces with the same tensor
    state = r.state;
    expect(() => Train.step(trainer, state, { x, y: bad })).toThrow(/label 7 at index 2 is out of range/);
    nx.dispose([r.loss, x, good, bad, state.vars.params, state.optState]);
  });

  it('does not leak: live tensors are flat across jitted epochs with metrics', async () => {
    const model = cnn();
    const trainer = Train.make({ model, optimizer: Optim.adam({ lr: 1e-3 }), loss: Loss.softmaxCrossEntropy, metrics: { accuracy: Metric.accuracy }, jit: true });
    const data = Array.from({ length: 5 }, (_, i) => images(i, 4));
    const counts: number[] = [];
    const r = await Train.fit(trainer, Train.makeState(trainer, model.init({ key: nx.random.key(2) })), data, {
      epochs: 4, progress: false, callbacks: { onEpochEnd: () => { counts.push(nx.memory().numTensors); } },
    });
    expect(new Set(counts.slice(1)).size).toBe(1);
    nx.dispose([r.state.vars.params, r.state.vars.state, r.state.optState, data]);
  });
});

describe('Train.make jit option', () => {
  it('is a boolean or { xla }', () => {
    const base = { model: mlp(), optimizer: Optim.sgd({ lr: 0.1 }), loss: Loss.mse };
    expect(() => Train.make({ ...base, jit: 'yes' as unknown as boolean })).toThrow(/jit must be a boolean or \{ xla\?: boolean \}/);
    expect(() => Train.make({ ...base, jit: { xal: true } as unknown as Train.TrainJitOptions })).toThrow(nx.OptionError);
    expect(Train.make({ ...base }).jit).toBe(false);
    expect(Train.make({ ...base, jit: true }).jit).toEqual({ xla: false });
    expect(Train.make({ ...base, jit: { xla: true } }).jit).toEqual({ xla: true });
  });

  it.skipIf(native)(`on ${nx.backendInfo().backend}: runs eagerly, the same steps, and says once that jit needs the native backend`, () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { se, sj, losses } = sideBySide(3);
    for (const [e, j] of losses) expect(j).toBe(e);
    expect(treeDiff(se.vars.params, sj.vars.params)).toBe(0);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/jit needs the native backend/);
    nx.dispose([se.vars.params, se.vars.state, se.optState, sj.vars.params, sj.vars.state, sj.optState]);
  });
});

describe(`Train.fit with jit and asyncSteps on ${nx.backendInfo().backend}: the next batch is made while a step runs`, () => {
  /** A Data pipeline of `n` MLP batches of 16 (fit owns and disposes them); `pulls` counts the batches made. */
  function counted(n: number, failAt?: number): { data: Data.Dataset<{ x: nx.Tensor; y: nx.Tensor }>; pulls: () => number } {
    let pulls = 0;
    const x = new Float32Array(n * 16 * 784).map((_, i) => Math.sin(i));
    const y = Int32Array.from({ length: n * 16 }, (_, i) => i % 10);
    const source = Data.fromArrays({ x: { data: x, shape: [n * 16, 784], dtype: 'float32' }, y: { data: y, shape: [n * 16], dtype: 'int32' } }).batch(16);
    const data = source.map((b) => {
      pulls++;
      if (pulls === failAt) throw new Error(`batch ${pulls} cannot be read`);
      return b;
    });
    return { data, pulls: () => pulls };
  }
  const make = () => {
    const model = mlp();
    const trainer = Train.make({ model, optimizer: Optim.adam({ lr: 1e-3 }), loss: Loss.softmaxCrossEntropy, jit: true });
    return { trainer, state: Train.makeState(trainer, model.init({ key: nx.random.key(3) })) };
  };
  const free = (s: Train.TrainState) => nx.dispose([s.vars.params, s.vars.state, s.optState]);

  it('equals stepping by hand with Train.step, batch for batch', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const a = make();
    const { data } = counted(6);
    const losses: number[] = [];
    const r = await Train.fit(a.trainer, a.state, data, { progress: false, asyncSteps: true, callbacks: { onBatchEnd: ({ loss }) => { losses.push(nx.item(loss) as number); } } });
    const b = make();
    let s = b.state;
    const byHand: number[] = [];
    for (const batch of counted(6).data.iterate(0)) {
      const step = Train.step(b.trainer, s, batch);
      s = step.state;
      byHand.push(nx.item(step.loss) as number);
      nx.dispose([step.loss, batch]);
    }
    expect(losses).toEqual(byHand);
    expect(treeDiff(r.state.vars.params, s.vars.params)).toBe(0);
    expect(r.state.step).toBe(6);
    free(r.state);
    free(s);
  });

  it('without asyncSteps (the default) the steps run one after the other: the same losses and parameters, no batch made ahead', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const run = async (asyncSteps: boolean | undefined) => {
      const { trainer, state } = make();
      const { data, pulls } = counted(8);
      const losses: number[] = [];
      const options = asyncSteps === undefined ? {} : { asyncSteps };
      const r = await Train.fit(trainer, state, data, { ...options, progress: false, callbacks: { onBatchEnd: ({ loss, batch, stop }) => { losses.push(nx.item(loss) as number); if (batch === 4) stop(); } } });
      return { r, losses, pulls: pulls() };
    };
    const plain = await run(undefined);
    const overlapped = await run(true);
    expect(plain.pulls).toBe(5); // the five trained on
    expect(overlapped.pulls).toBe(6); // and one made ahead
    expect(plain.losses).toEqual(overlapped.losses);
    expect(treeDiff(plain.r.state.vars.params, overlapped.r.state.vars.params)).toBe(0);
    free(plain.r.state);
    free(overlapped.r.state);
    const { trainer, state } = make();
    await expect(Train.fit(trainer, state, counted(1).data, { asyncSteps: 'yes' as unknown as boolean })).rejects.toThrow(/asyncSteps must be a boolean, got yes/);
    free(state);
  });

  it('a callback that stops training: the batch made ahead is freed, nothing leaks', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { trainer, state } = make();
    const { data, pulls } = counted(10);
    const before = nx.memory().numTensors;
    const r = await Train.fit(trainer, state, data, { epochs: 3, progress: false, asyncSteps: true, callbacks: { onBatchEnd: ({ batch, stop }) => { if (batch === 2) stop(); } } });
    expect(r.stopped).toBe(true);
    expect(r.state.step).toBe(3);
    expect(pulls()).toBe(4); // three trained on, one made ahead and freed
    expect(r.history['loss']).toHaveLength(1);
    free(r.state);
    expect(nx.memory().numTensors).toBe(before - Ptree.leaves([state.vars.params, state.optState]).length);
  });

  it('data that fails while a step runs: that step completes (its callbacks run), then the data\'s error, nothing leaks', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { trainer, state } = make();
    const { data } = counted(10, 4);
    let kept: Train.TrainState | undefined;
    const before = nx.memory().numTensors;
    await expect(Train.fit(trainer, state, data, { progress: false, asyncSteps: true, callbacks: { onBatchEnd: ({ state: s }) => { kept = s; } } })).rejects.toThrow(/batch 4 cannot be read/);
    // as without prefetching: steps 1-3 ran with their callbacks, then making batch 4 failed;
    // the state of the last step is the live one, everything else was freed
    expect(kept!.step).toBe(3);
    expect(nx.memory().numTensors - before).toBeLessThanOrEqual(Ptree.leaves([kept!.vars.params, kept!.optState]).length);
  });
});

describe(`Train.fit with stepsPerExecution on ${nx.backendInfo().backend}: several steps per call (jitted on the native backend)`, () => {
  /** `n` MLP batches of 16 rows, the last one `last` rows (fit owns and disposes them). */
  function batches(n: number, last = 16): Data.Dataset<{ x: nx.Tensor; y: nx.Tensor }> {
    const rows = (n - 1) * 16 + last;
    const x = new Float32Array(rows * 784).map((_, i) => Math.sin(i * 0.37));
    const y = Int32Array.from({ length: rows }, (_, i) => (i * 7) % 10);
    return Data.fromArrays({ x: { data: x, shape: [rows, 784], dtype: 'float32' }, y: { data: y, shape: [rows], dtype: 'int32' } }).batch(16);
  }
  const make = (jit: boolean) => {
    const model = mlp();
    const trainer = Train.make({ model, optimizer: Optim.adam({ lr: 1e-3 }), loss: Loss.softmaxCrossEntropy, metrics: { accuracy: Metric.accuracy }, jit });
    return { trainer, state: Train.makeState(trainer, model.init({ key: nx.random.key(3) })) };
  };
  const free = (s: Train.TrainState) => nx.dispose([s.vars.params, s.vars.state, s.optState]);

  it('equals one step per call bit for bit (losses, metrics, parameters); batch callbacks once per execution; the rest of the epoch one step per call', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const run = async (stepsPerExecution: number) => {
      const { trainer, state } = make(true);
      const calls: Array<{ batch: number; size: number; loss: number; step: number }> = [];
      const r = await Train.fit(trainer, state, batches(10, 5), {
        epochs: 2, progress: false, stepsPerExecution,
        callbacks: { onBatchEnd: ({ batch, size, loss, state: s }) => { calls.push({ batch, size, loss: nx.item(loss) as number, step: s.step }); } },
      });
      return { r, calls };
    };
    const before = nx.memory().numTensors;
    const one = await run(1);
    const three = await run(3);
    // nothing left behind but the two final states
    const live = (s: Train.TrainState) => Ptree.leaves([s.vars.params, s.optState]).length;
    expect(nx.memory().numTensors).toBe(before + live(one.r.state) + live(three.r.state));
    expect(three.r.history).toEqual(one.r.history);
    expect(treeDiff(three.r.state.vars.params, one.r.state.vars.params)).toBe(0);
    expect(treeDiff(three.r.state.optState, one.r.state.optState)).toBe(0);
    expect(three.r.state.step).toBe(20);
    // 10 batches, the last of 5 rows: executions of batches 0-2, 3-5, 6-8, then 9 alone
    expect(three.calls.map((c) => c.batch)).toEqual([2, 5, 8, 9, 2, 5, 8, 9]);
    expect(three.calls.map((c) => c.size)).toEqual([16, 16, 16, 5, 16, 16, 16, 5]);
    expect(three.calls.map((c) => c.step)).toEqual([3, 6, 9, 10, 13, 16, 19, 20]);
    // each hook sees the loss of its execution's last batch, as one step per call gave it
    expect(three.calls.map((c) => c.loss)).toEqual(three.calls.map((c) => one.calls[c.step - 1]!.loss));
    if (native) {
      // the three steps are one registered graph: three Adam updates per parameter in it
      const raven = ((await import('@tensorflow/tfjs-core')).backend() as unknown as { binding: { raven: { jitFunctionDef(name: string): Uint8Array } } }).binding.raven;
      let text: string | undefined;
      for (let n = 0; n < 10_000 && text === undefined; n++) {
        try {
          text = Buffer.from(raven.jitFunctionDef(`raven_jit_${n}_Train_steps3`)).toString('latin1');
        } catch {
          // another number
        }
      }
      expect(text).toBeDefined();
      expect(text!.split('RavenAdamApply').length - 1).toBe(3 * Ptree.leaves(three.r.state.vars.params).length);
    }
    free(one.r.state);
    free(three.r.state);
  });

  it('without jit the steps run one after the other, with the same callback pattern and values', async () => {
    const run = async (jit: boolean) => {
      const { trainer, state } = make(jit);
      const seen: number[] = [];
      const r = await Train.fit(trainer, state, batches(5), { progress: false, stepsPerExecution: 2, callbacks: { onBatchEnd: ({ batch }) => { seen.push(batch); } } });
      return { r, seen };
    };
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const eager = await run(false);
    expect(eager.seen).toEqual([1, 3, 4]);
    expect(eager.r.state.step).toBe(5);
    const jitted = await run(true);
    expect(jitted.seen).toEqual([1, 3, 4]);
    // the eager and the jitted step differ in float rounding only
    expect(treeDiff(eager.r.state.vars.params, jitted.r.state.vars.params)).toBeLessThan(1e-5);
    free(eager.r.state);
    free(jitted.r.state);
  });

  it('a callback that stops mid-epoch ends at an execution boundary, frees the batches not trained on and leaks nothing', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { trainer, state } = make(true);
    const before = nx.memory().numTensors;
    const r = await Train.fit(trainer, state, batches(10), { epochs: 3, progress: false, stepsPerExecution: 4, callbacks: { onBatchEnd: ({ batch, stop }) => { if (batch >= 3) stop(); } } });
    expect(r.stopped).toBe(true);
    expect(r.state.step).toBe(4);
    expect(r.history['loss']).toHaveLength(1);
    free(r.state);
    expect(nx.memory().numTensors).toBe(before - Ptree.leaves([state.vars.params, state.optState]).length);
  });

  it('says what is wrong with a bad stepsPerExecution, and refuses it with asyncSteps', async () => {
    const { trainer, state } = make(false);
    for (const bad of [0, 1.5, -2, '2']) {
      await expect(Train.fit(trainer, state, batches(1), { stepsPerExecution: bad as number })).rejects.toThrow(new RegExp(`stepsPerExecution must be a positive integer, got ${String(bad)}`));
    }
    await expect(Train.fit(trainer, state, batches(1), { stepsPerExecution: 2, asyncSteps: true })).rejects.toThrow(/asyncSteps and stepsPerExecution > 1 cannot be combined/);
    free(state);
  });
});
