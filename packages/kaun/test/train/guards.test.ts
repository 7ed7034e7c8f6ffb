/**
 * Train.fit's guards: a NaN or infinite loss stops training naming the epoch and step (Keras'
 * TerminateOnNaN), or warns, by option; an epoch that yields no batch is an error.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as nx from '@raven/nx';
import { Data, KaunError, Layer, Loss, NonFiniteLossError, Optim, Ptree, Train } from '@raven/kaun';

/** 100 rows of y = 2x; row `nanAt` (if any) has x = NaN. Batches of 4 in order: row r is in step floor(r / 4). */
function data(nanAt?: number, rows = 100) {
  const x = Float32Array.from({ length: rows }, (_, i) => (i === nanAt ? Number.NaN : (i % 7) / 7));
  return Data.fromArrays({ x: { data: x, shape: [rows, 1] }, y: { data: x.map((v) => 2 * v), shape: [rows, 1] } });
}

function setup() {
  const model = Layer.linear({ inFeatures: 1, outFeatures: 1 });
  const trainer = Train.make({ model, optimizer: Optim.sgd({ lr: 0.1 }), loss: Loss.mse });
  return { trainer, state: Train.makeState(trainer, model.init({ key: nx.random.key(0) })) };
}

const free = (s: Train.TrainState) => Ptree.dispose([s.vars.params, s.vars.state, s.optState]);

afterEach(() => vi.restoreAllMocks());

describe('Train.fit: non-finite losses', () => {
  it('stops with a NonFiniteLossError naming the epoch and the first bad step (a NaN in x at row 57: step 14)', async () => {
    const before = nx.memory().numTensors;
    const { trainer, state } = setup();
    const err = await Train.fit(trainer, state, data(57).batch(4), { epochs: 3, progress: false }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    const e = err as NonFiniteLossError;
    expect([e.epoch, e.step]).toEqual([0, 14]);
    expect(e.loss).toBeNaN();
    expect(e.message).toMatch(/Train\.fit: the loss is NaN at epoch 0, step 14; training stopped/);
    expect(e.history).toEqual({});
    free(e.state);
    expect(nx.memory().numTensors).toBe(before); // nothing pending is left behind
  });

  it('a bad step past the first 64-step check window is named exactly', async () => {
    const { trainer, state } = setup();
    // 400 rows: 100 steps per epoch; the NaN row 397 is step 99 of every epoch, so epoch 0 fails at step 99
    const err = await Train.fit(trainer, state, data(397, 400).batch(4), { epochs: 2, progress: false }).then(() => undefined, (x: unknown) => x) as NonFiniteLossError;
    expect([err.epoch, err.step]).toEqual([0, 99]);
    free(err.state);
  });

  it('the live bar reading the running loss between checks does not hide a NaN from the check', async () => {
    const { trainer, state } = setup();
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    // a step slower than the bar's redraw interval: the bar reads (folds) the losses after each step
    const slow = { onBatchEnd: () => new Promise<void>((r) => setTimeout(r, 220)) };
    const err = await Train.fit(trainer, state, data(9, 16).batch(4), { progress: 'bar', callbacks: slow }).then(() => undefined, (x: unknown) => x) as NonFiniteLossError;
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect([err.epoch, err.step]).toEqual([0, 2]);
    free(err.state);
  });

  it("nonFinite: 'warn' warns once per epoch and goes on; 'ignore' goes on silently", async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const { trainer, state } = setup();
    const r = await Train.fit(trainer, state, data(57).batch(4), { epochs: 2, progress: false, nonFinite: 'warn' });
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[0]![0])).toMatch(/the loss is NaN at epoch 0, step 14; training goes on/);
    expect(r.history['loss']![0]).toBeNaN();
    free(r.state);
    warn.mockClear();
    const s2 = setup();
    const quiet = await Train.fit(s2.trainer, s2.state, data(57).batch(4), { epochs: 1, progress: false, nonFinite: 'ignore' });
    expect(warn).not.toHaveBeenCalled();
    free(quiet.state);
    const s3 = setup();
    await expect(Train.fit(s3.trainer, s3.state, data().batch(4), { nonFinite: 'skip' as never, progress: false })).rejects.toThrow(/nonFinite must be 'stop', 'warn' or 'ignore'/);
    free(s3.state);
  });

  it('finite training is unchanged, and the live-tensor count stays flat', async () => {
    const { trainer, state } = setup();
    const before = nx.memory().numTensors;
    const r = await Train.fit(trainer, state, data().batch(4), { epochs: 2, progress: false });
    expect(r.history['loss']!.every(Number.isFinite)).toBe(true);
    expect(nx.memory().numTensors).toBe(before);
    free(r.state);
  });
});

describe('Train.fit: an epoch with no batch is an error', () => {
  it('an empty dataset, dropLast leaving nothing, a used-up iterator', async () => {
    const { trainer, state } = setup();
    await expect(Train.fit(trainer, state, data(undefined, 0).batch(4), { progress: false })).rejects.toThrow(/epoch 0 had no batch/);
    await expect(Train.fit(trainer, state, data(undefined, 3).batch(4, { dropLast: true }), { progress: false })).rejects.toThrow(KaunError);
    await expect(Train.fit(trainer, state, data(undefined, 3).batch(4, { dropLast: true }), { progress: false })).rejects.toThrow(/dropLast dropped its only \(short\) batch/);
    const batches = [...data().batch(50).iterate(0)];
    function* once() { yield* batches; }
    const gen = once();
    await expect(Train.fit(trainer, state, gen, { epochs: 2, progress: false })).rejects.toThrow(/epoch 1 had no batch.*iterator used up/);
    nx.dispose(batches);
  });
});
