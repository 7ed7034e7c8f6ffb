/**
 * The run shared by manager.test.ts and its child process: an MLP with batch norm and dropout
 * (model state and keys matter), Adam with an injected learning rate lowered by a plateau
 * callback, accumulated over two micro-batches (optimizer state and callback state matter), a
 * training metric, shuffled batches (data order matters), validation.
 */
import * as nx from '@raven/nx';
import { Callback, CheckpointManager, Data, Layer, Loss, Metric, Optim, Train } from '@raven/kaun';

export const EPOCHS = 3;

export function makeTrainer() {
  const model = Layer.sequential([
    Layer.linear({ inFeatures: 4, outFeatures: 16 }), Layer.batchNorm({ numFeatures: 16 }), Layer.relu(),
    Layer.dropout({ rate: 0.2 }), Layer.linear({ inFeatures: 16, outFeatures: 3 }),
  ]);
  // two micro-batches per update: checkpoints every 3 steps fall in the middle of an accumulation
  const optimizer = Optim.multiSteps(Optim.injectHyperparams((h) => Optim.adam({ lr: h.lr }), { lr: 0.02 }), { every: 2 });
  return Train.make({ model, optimizer, loss: Loss.softmaxCrossEntropy, metrics: { accuracy: Metric.accuracy } });
}

function rows(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const x = nx.random.normalArray(nx.random.key(seed), n * 4);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = (x[4 * i]! > 0 ? 1 : 0) + (x[4 * i + 1]! > 0.5 ? 1 : 0);
  return { x, y };
}

export function data() {
  const t = rows(40, 1);
  const v = rows(16, 2);
  return {
    train: Data.fromArrays({ x: { data: t.x, shape: [40, 4] }, y: t.y }).shuffle(nx.random.key(3)).batch(8), // 5 batches an epoch
    val: Data.fromArrays({ x: { data: v.x, shape: [16, 4] }, y: v.y }).batch(16),
  };
}

/** Runs fit to the end (resuming from the folder's latest checkpoint if any); `pauseAt` hangs at that step. */
export async function run(dir: string, csv: string, pauseAt = -1, onPause: () => Promise<void> = async () => undefined): Promise<Train.FitResult> {
  const trainer = makeTrainer();
  const state = Train.makeState(trainer, trainer.model.init({ key: nx.random.key(0) }), { key: nx.random.key(9) });
  const { train, val } = data();
  const pause: Train.Callbacks = { kind: 'pause', onBatchEnd: async ({ state: s }) => { if (s.step === pauseAt) await onPause(); } };
  const callbacks = [
    Callback.reduceLROnPlateau({ monitor: 'loss', factor: 0.5, patience: 0, minDelta: 10 }), // lowers the rate after every epoch
    Callback.csvLogger(csv),
    pause,
    CheckpointManager.make({ dir, saveSteps: 3, keepLast: 2, monitor: 'val_accuracy' }),
  ];
  return Train.fit(trainer, state, train, { epochs: EPOCHS, validation: val, callbacks, resumeFrom: 'latest', progress: false });
}
