// `initialEpoch` and `epochs` follow Keras: training runs epochs initialEpoch .. epochs - 1, so
// {initialEpoch: 3, epochs: 4} runs one epoch, printed 4/4; an initialEpoch past epochs is an
// error instead of a silent no-op.
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as nx from '@raven/nx';
import { Data, KaunError, Layer, Loss, Optim, Ptree, Train } from '@raven/kaun';

afterEach(() => { vi.restoreAllMocks(); });

function setup() {
  const model = Layer.linear({ inFeatures: 2, outFeatures: 1 });
  const trainer = Train.make({ model, optimizer: Optim.sgd({ lr: 0.1 }), loss: Loss.mse });
  const data = Data.fromArrays({ x: { data: new Float32Array([1, 0, 0, 1, 1, 1, 0, 0]), shape: [4, 2] }, y: { data: new Float32Array([1, 2, 3, 0]), shape: [4, 1] } }).shuffle(nx.random.key(3)).batch(2);
  const state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
  return { trainer, data, state };
}

describe('Train.fit epochs and initialEpoch (Keras semantics)', () => {
  it('{initialEpoch: 3, epochs: 4} runs one epoch, epoch 3, printed "Epoch 4/4"', async () => {
    const { trainer, data, state } = setup();
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { lines.push(String(s)); return true; });
    const seen: number[] = [];
    const r = await Train.fit(trainer, state, data, { initialEpoch: 3, epochs: 4, progress: 'lines', callbacks: { onEpochBegin: ({ epoch }) => { seen.push(epoch); } } });
    vi.restoreAllMocks();
    expect(seen).toEqual([3]);
    expect(r.history['loss']).toHaveLength(1);
    expect(r.state.step).toBe(2); // one epoch of two batches
    expect(lines.join('')).toMatch(/^Epoch 4\/4 /m);
    expect(lines.join('')).not.toMatch(/Epoch [5-7]\//);
    Ptree.dispose([r.state.vars.params, r.state.optState]);
  });

  it('resuming with {initialEpoch: 2, epochs: 3} after 2 epochs equals 3 epochs straight', async () => {
    const a = setup();
    const straight = await Train.fit(a.trainer, a.state, a.data, { epochs: 3, progress: false });
    const b = setup();
    const part1 = await Train.fit(b.trainer, b.state, b.data, { epochs: 2, progress: false });
    const part2 = await Train.fit(b.trainer, part1.state, b.data, { initialEpoch: 2, epochs: 3, progress: false });
    expect(part2.history['loss']).toHaveLength(1);
    const w = (s: Train.TrainState) => Array.from(nx.toTypedArray((s.vars.params as { weight: nx.Tensor }).weight));
    expect(w(part2.state)).toEqual(w(straight.state));
    Ptree.dispose([straight.state.vars.params, straight.state.optState, part2.state.vars.params, part2.state.optState]);
  });

  it('an initialEpoch past epochs is an error that explains the convention; equal runs nothing', async () => {
    const { trainer, data, state } = setup();
    await expect(Train.fit(trainer, state, data, { initialEpoch: 3, epochs: 2, progress: false })).rejects.toThrow(KaunError);
    await expect(Train.fit(trainer, state, data, { initialEpoch: 3, epochs: 2, progress: false })).rejects.toThrow(
      /^Train\.fit: initialEpoch 3 is past epochs 2, so nothing would train; epochs is the epoch to stop at \(as Keras\): \{initialEpoch: 3, epochs: 5\} runs 2 more$/,
    );
    const none = await Train.fit(trainer, state, data, { initialEpoch: 2, epochs: 2, progress: false });
    expect(none.history).toEqual({});
    expect(none.state.step).toBe(0);
    Ptree.dispose([none.state.vars.params, none.state.optState]);
  });
});
