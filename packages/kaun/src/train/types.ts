/**
 * Types of the training loop: the trainer, its state, batches, callbacks.
 * @module
 */
import type * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import type { Layer, Vars } from '../layer/index.js';
import type { Accumulator, MetricFn } from '../metric/index.js';
import type { Optimizer } from '../optim/index.js';
import type { Tree } from '../ptree/index.js';

/** A batch: the model input `x` and the target `y` (extra fields are ignored). */
export interface Batch<In = Tensor, Y = Tensor> {
  /** The model input. */
  x: In;
  /** The target the loss compares the output with. */
  y: Y;
}

/** A loss: `(model output, target) -> scalar tensor` (e.g. `Loss.softmaxCrossEntropy`). */
export type LossFn<Out = Tensor, Y = Tensor> = (output: Out, target: Y) => Tensor;

/**
 * A metric for `fit`/`evaluate`: a per-batch function (averaged over examples) or an
 * {@link Accumulator} (e.g. `Metric.confusion(...)`), which is reset before each use.
 */
export type MetricSpec = MetricFn | Accumulator;

/** Options of {@link make}. */
export interface TrainerOptions<In = Tensor, Out = Tensor, Y = Tensor> {
  /** The model. */
  model: Layer<In, Out>;
  /** The optimizer (`Optim.adam()`, a chain, ...). */
  optimizer: Optimizer;
  /** The loss, called with the model output and the batch's `y`; must return a scalar. */
  loss: LossFn<Out, Y>;
  /** Metrics computed on the training batches in `fit` and by `evaluate`; default none. Keys name them in logs. */
  metrics?: Record<string, MetricSpec>;
  /**
   * Picks the tensor the metrics compare with the targets from the model output; default: the
   * output itself, which must then be a tensor. For a model that returns an object, e.g. BERT's
   * `{logits, ...}`: `predictions: (out) => out.logits`.
   */
  predictions?: (output: Out) => Tensor;
  /**
   * Run each training step (forward, loss, backward, optimizer update) as one TensorFlow graph
   * with `nx.jit`, traced once per batch shape; default false. `{ xla: true }` also compiles the
   * graph with XLA. Needs the native backend; on wasm and cpu steps run eagerly and this is said once.
   */
  jit?: boolean | TrainJitOptions;
}

/** Options of a jitted training step ({@link TrainerOptions.jit}). */
export interface TrainJitOptions {
  /** Compile the step's graph with XLA (`nx.jit`'s `xla`); default false. */
  xla?: boolean;
}

/** A trainer: the model, optimizer, loss and metrics, bundled (a plain, immutable value). */
export interface Trainer<In = Tensor, Out = Tensor, Y = Tensor> {
  /** The model. */
  readonly model: Layer<In, Out>;
  /** The optimizer. */
  readonly optimizer: Optimizer;
  /** The loss. */
  readonly loss: LossFn<Out, Y>;
  /** The metrics (possibly empty). */
  readonly metrics: Readonly<Record<string, MetricSpec>>;
  /** What the metrics see of the model output (see {@link TrainerOptions.predictions}). */
  readonly predictions: (output: Out) => Tensor;
  /** Whether steps run as one graph, and how (see {@link TrainerOptions.jit}); `false` for eager steps. */
  readonly jit: false | Readonly<Required<TrainJitOptions>>;
}

/**
 * Everything that changes during training. Treat it as consumed by {@link step} and {@link fit}:
 * they return a new state and dispose the tensors of the old one that were replaced.
 */
export interface TrainState {
  /** The model variables (params and state, e.g. batch-norm statistics). */
  readonly vars: Vars;
  /** The optimizer state, a tree (checkpoint it with the params to resume). */
  readonly optState: Tree;
  /** Updates done so far. */
  readonly step: number;
  /** The base key of the per-step keys (`nx.random.foldIn(key, step)`, for dropout). */
  readonly key: nx.random.Key;
}

/** Passed to `onBatchEnd`. */
export interface BatchEndInfo {
  /** The epoch, from 0 (or `initialEpoch`). */
  epoch: number;
  /** The batch index within the epoch, from 0. */
  batch: number;
  /** Examples in the batch. */
  size: number;
  /** The batch loss, a scalar tensor valid during the callback only (reading it waits for the device). */
  loss: Tensor;
  /** The state after this step. */
  state: TrainState;
  /** Stops training after this batch. */
  stop(): void;
  /**
   * Replaces the training state from now on (e.g. an optimizer state with a new learning rate,
   * see `Optim.setHyperparams`); the old one is consumed.
   */
  setState(next: TrainState): void;
  /** Where training is, for a checkpoint that resumes exactly (see `CheckpointManager`). Reads the device. */
  position(): FitPositionCapture;
}

/** Passed to `onEpochEnd`. */
export interface EpochEndInfo {
  /** The epoch, from 0 (or `initialEpoch`). */
  epoch: number;
  /** `loss`, metrics, and `val_loss`/`val_<metric>` with validation data. */
  logs: Record<string, number>;
  /** The state at the end of the epoch (valid until training goes on). */
  state: TrainState;
  /** Seconds the epoch took (training and validation). */
  seconds: number;
  /** Training examples seen in the epoch. */
  samples: number;
  /** Stops training after this epoch. */
  stop(): void;
  /** Replaces the training state from now on (see {@link BatchEndInfo.setState}). */
  setState(next: TrainState): void;
  /** Where training is: the start of the next epoch (see {@link BatchEndInfo.position}). */
  position(): FitPositionCapture;
}

/**
 * Where a `fit` run is, as JSON: enough, with the training state, to continue it exactly (the
 * same batches, keys, logs and callback states as a run that was never interrupted).
 */
export interface FitPosition {
  /** The epoch to continue in. */
  epoch: number;
  /** Batches of that epoch already done (skipped when resuming). */
  batch: number;
  /** Training examples of that epoch already seen. */
  samples: number;
  /** The history of the completed epochs. */
  history: Record<string, number[]>;
  /** The running loss of the epoch in progress (null at an epoch start). */
  loss: unknown;
  /** The training metrics' accumulators of the epoch in progress, by name (null at an epoch start). */
  metrics: Record<string, unknown> | null;
  /** Early stopping's counters (null without early stopping). */
  earlyStopping: { best: number | null; wait: number; bestEpoch: number } | null;
  /** Each callback's {@link Callbacks.snapshot}, in the order of the callbacks (null where it has none). */
  callbacks: Array<{ kind: string; state: unknown }>;
}

/** What {@link BatchEndInfo.position} returns: the JSON position and the tensors it needs. */
export interface FitPositionCapture {
  /** The position. */
  position: FitPosition;
  /** Early stopping's best variables (with `restoreBest`), owned by the stopper: save, do not dispose. */
  bestVars?: Vars;
}

/** Hooks called by {@link fit}; each may return a promise, which is awaited. */
export interface Callbacks {
  /** A short name of the callback, checked when a run resumes (so the callbacks are the same). */
  readonly kind?: string;
  /** The callback's state as JSON, saved in checkpoints (e.g. a plateau counter); optional. */
  snapshot?(): unknown;
  /** Puts back a {@link Callbacks.snapshot} when `fit` resumes from a checkpoint. */
  restore?(snapshot: unknown): void | Promise<void>;
  /** Before the first epoch. */
  onTrainBegin?(info: { state: TrainState }): void | Promise<void>;
  /** Before each epoch. */
  onEpochBegin?(info: { epoch: number; state: TrainState }): void | Promise<void>;
  /** After each training step. */
  onBatchEnd?(info: BatchEndInfo): void | Promise<void>;
  /** After each epoch (and its validation). */
  onEpochEnd?(info: EpochEndInfo): void | Promise<void>;
  /** After the last epoch (after early stopping restored the best variables); `setState` replaces the state `fit` returns. */
  onTrainEnd?(info: { state: TrainState; history: Record<string, number[]>; setState(next: TrainState): void }): void | Promise<void>;
}

/** A trainer of any input, output and target types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTrainer = Trainer<any, any, any>;
