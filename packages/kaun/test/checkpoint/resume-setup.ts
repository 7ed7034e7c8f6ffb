/**
 * The training run shared by resume.test.ts and its child process: a small MLP with batch norm
 * and dropout (so the model state and the dropout key matter), Adam (so the optimizer state and
 * its step count matter), fixed batches built on the host.
 */
import * as nx from '@raven/nx';
import { Layer, Loss, Optim, Train } from '@raven/kaun';

export function makeTrainer() {
  const model = Layer.sequential([
    Layer.linear({ inFeatures: 4, outFeatures: 8 }),
    Layer.batchNorm({ numFeatures: 8 }),
    Layer.relu(),
    Layer.dropout({ rate: 0.25 }),
    Layer.linear({ inFeatures: 8, outFeatures: 3 }),
  ]);
  return Train.make({ model, optimizer: Optim.adam({ lr: 0.01 }), loss: Loss.mse });
}

export function freshState(trainer: ReturnType<typeof makeTrainer>, seed: number): Train.TrainState {
  return Train.makeState(trainer, trainer.model.init({ key: nx.random.key(seed) }), { key: nx.random.key(seed + 100) });
}

/** Batch `i` (deterministic, host-built). */
export function batch(i: number): { x: nx.Tensor; y: nx.Tensor } {
  let s = (i + 1) * 2654435761;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const x = Float32Array.from({ length: 6 * 4 }, rnd);
  const y = Float32Array.from({ length: 6 * 3 }, rnd);
  return { x: nx.fromArray(x, { shape: [6, 4] }), y: nx.fromArray(y, { shape: [6, 3] }) };
}

/** Runs steps `from..to-1` and returns the new state (the old one is consumed). */
export function train(trainer: ReturnType<typeof makeTrainer>, state: Train.TrainState, from: number, to: number): Train.TrainState {
  for (let i = from; i < to; i++) {
    const b = batch(i);
    const r = Train.step(trainer, state, b);
    state = r.state;
    nx.dispose([r.loss, b.x, b.y]);
  }
  return state;
}
