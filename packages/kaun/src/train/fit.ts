/**
 * The training loop: epochs of steps, validation, callbacks, early stopping, progress.
 * @module
 */
import * as nx from '@raven/nx';
import { KaunError } from '../errors.js';
import * as Ptree from '../ptree/index.js';
import { accumulators, batchSize, collect, epochOf, LossMean } from './_running.js';
import { EarlyStopper, type EarlyStoppingOptions } from './early-stopping.js';
import { checkEpochHadBatches, FiniteGuard, type NonFiniteMode } from './finite.js';
import { checkState } from './consumed.js';
import { evaluate } from './evaluate.js';
import { makeReporter, type ProgressMode } from './progress.js';
import { capturePosition, openResume, orderCallbacks, restoredLoss, restoreMetrics, skipDone } from './resume.js';
import { disposeReplaced } from './dispose-replaced.js';
import { stepsWith, stepWith, stepWithAsync, type StepResult } from './step.js';
import type { Batch, Callbacks, Trainer, TrainState } from './types.js';

/** Options of {@link fit}. */
export interface FitOptions<In = nx.Tensor, Y = nx.Tensor> {
  /**
   * The epoch to stop at: training runs epochs `initialEpoch` to `epochs - 1`, as Keras'
   * `fit(epochs, initial_epoch)`. Default 1. Without `initialEpoch` it is the number of epochs.
   */
  epochs?: number;
  /**
   * Index of the first epoch, to continue a run (shuffles and the progress line depend on it):
   * `{initialEpoch: 3, epochs: 5}` runs epochs 3 and 4 (printed 4/5 and 5/5). Default 0. An
   * `initialEpoch` past `epochs` is an error (nothing would train).
   */
  initialEpoch?: number;
  /** Data evaluated after each epoch (logged as `val_loss`, `val_<metric>`); default none. */
  validation?: Iterable<Batch<In, Y>>;
  /** Hooks, one object or a list. */
  callbacks?: Callbacks | Callbacks[];
  /** Stop when a logged value stops improving (see {@link EarlyStoppingOptions}); default off. */
  earlyStopping?: EarlyStoppingOptions;
  /**
   * Continue a run from a checkpoint of a `CheckpointManager`: `'latest'` (the newest in the
   * manager's folder among the callbacks; none yet starts afresh) or the path of a checkpoint or
   * of a manager's folder. The state passed in is the template the checkpoint is loaded into
   * (consumed). The run continues in the saved epoch, after the batches already done, with the
   * saved keys, logs and callback states: the result equals that of an uninterrupted run, bit
   * for bit on the same backend. Default: none.
   */
  resumeFrom?: string;
  /**
   * Progress output: `'auto'` (default: a live bar with loss and samples/s when stdout is a TTY,
   * one line per epoch otherwise), `'bar'`, `'lines'`, or `false` for silence.
   */
  progress?: ProgressMode;
  /**
   * When a step's loss is NaN or infinite: `'stop'` (default) throws a `NonFiniteLossError`
   * naming the epoch and step (as Keras' `TerminateOnNaN`), `'warn'` prints a warning once per
   * epoch and goes on, `'ignore'` goes on silently. Checked every 64 steps and at each epoch's end.
   */
  nonFinite?: NonFiniteMode;
  /**
   * With a jitted trainer (`Train.make({jit})` on the native backend): run each step's graph on a
   * worker thread (`callAsync` of the jitted step) and make the next batch meanwhile, as
   * `tf.data`'s prefetching and JAX's asynchronous dispatch overlap host and device work. It pays
   * where the host has cores the step leaves idle, the step is long, or it runs on a GPU; on a
   * 2-core CPU, whose cores TensorFlow's threads already keep busy, the thread hand-offs cost more
   * than the overlap saves for short steps (the MNIST MLP epoch was 3 to 10% slower with it).
   * Results, callbacks, stopping and errors are the same either way. No effect without jit.
   * Default false.
   */
  asyncSteps?: boolean;
  /**
   * Run this many consecutive batches as one execution, as Keras' `steps_per_execution`: with a
   * jitted trainer, the steps are traced into one graph, so each call into TensorFlow (and the
   * JavaScript around it) serves several steps; this pays for small models whose step takes about
   * a millisecond (the MNIST MLP epoch on a 2-core CPU: 0.42 s with 4 against 0.50 s with 1). Batch callbacks
   * (`onBatchEnd`) run once per execution, after its last batch, with that batch's index, size and
   * loss and the state after it; checkpoints and resumption see execution boundaries only. The
   * batches of an execution must have one shape: the epoch's last batches that do not fill one,
   * or differ in shape, run one per execution. The values are those of single steps (the same
   * ops in the same order). Without jit the steps of an execution run one after the other. Not
   * combinable with `asyncSteps`. Default 1.
   */
  stepsPerExecution?: number;
}

const FIT_KEYS: nx.OptionKeys<FitOptions> = { epochs: true, initialEpoch: true, validation: true, callbacks: true, earlyStopping: true, resumeFrom: true, progress: true, nonFinite: true, asyncSteps: true, stepsPerExecution: true };

/**
 * Whether every batch's `x` and `y` are trees of tensors with the shapes of the first batch's
 * (false for anything else: such batches run one step per execution).
 */
function sameShapes(batches: readonly Batch<unknown, unknown>[]): boolean {
  try {
    const shapes = (b: Batch<unknown, unknown>) => [b.x, b.y].flatMap((t) => Ptree.leaves(t as Ptree.Tree).map((l) => l.shape.join(','))).join(';');
    const first = shapes(batches[0]!);
    return batches.every((b) => shapes(b) === first);
  } catch {
    return false;
  }
}

/** What {@link fit} returns. */
export interface FitResult {
  /** The final state (with the best variables when early stopping restored them). */
  state: TrainState;
  /** Per-epoch logs: `loss`, metrics, `val_loss`, `val_<metric>`, one value per epoch run. */
  history: Record<string, number[]>;
  /** Whether early stopping or a callback ended training before `epochs`. */
  stopped: boolean;
  /** The best epoch by the early-stopping monitor; `undefined` without early stopping. */
  bestEpoch?: number;
}

/**
 * Trains for some epochs: for each batch one {@link step}; the loss is summed on the device and
 * read once per epoch (and a few times a second for the live bar); training metrics (the
 * trainer's) accumulate on the device from the same forward pass; validation after each epoch.
 *
 * - `data`: a `Data.Dataset` of `{x, y}` (epoch `e` is `data.iterate(e)`, so shuffles differ per
 *   epoch; its batches are disposed after use) or any iterable of batches (reused each epoch,
 *   not disposed).
 * - The state passed in is consumed: use the returned one.
 * - Callbacks may stop training with `info.stop()`.
 * @returns the final state and the history.
 * @throws NonFiniteLossError when a step's loss is NaN or infinite (unless `nonFinite` says
 *   otherwise); KaunError for invalid options or an epoch with no batch; errors from the model,
 *   loss or callbacks propagate.
 * @example
 * ```ts
 * const { state: trained, history } = await Train.fit(trainer, state, train, {
 *   epochs: 5, validation: test, earlyStopping: { patience: 2, restoreBest: true } });
 * ```
 */
export async function fit<In, Out, Y>(trainer: Trainer<In, Out, Y>, state: TrainState, data: Iterable<Batch<In, Y>>, options: FitOptions<In, Y> = {}): Promise<FitResult> {
  nx.checkOptions('Train.fit', options, FIT_KEYS);
  const fn = 'Train.fit';
  checkState(fn, state);
  const epochs = options.epochs ?? 1;
  const first = options.initialEpoch ?? 0;
  if (!Number.isInteger(epochs) || epochs < 0) throw new KaunError(`${fn}: epochs must be a non-negative integer, got ${String(epochs)}`);
  if (!Number.isInteger(first) || first < 0) throw new KaunError(`${fn}: initialEpoch must be a non-negative integer, got ${String(first)}`);
  if (options.asyncSteps !== undefined && typeof options.asyncSteps !== 'boolean') throw new KaunError(`${fn}: asyncSteps must be a boolean, got ${String(options.asyncSteps)}`);
  const perExecution = options.stepsPerExecution ?? 1;
  if (!Number.isInteger(perExecution) || perExecution < 1) throw new KaunError(`${fn}: stepsPerExecution must be a positive integer, got ${String(options.stepsPerExecution)}`);
  if (perExecution > 1 && options.asyncSteps === true) throw new KaunError(`${fn}: asyncSteps and stepsPerExecution > 1 cannot be combined; use one of them`);
  if (first > epochs) {
    throw new KaunError(`${fn}: initialEpoch ${first} is past epochs ${epochs}, so nothing would train; epochs is the epoch to stop at (as Keras): {initialEpoch: ${first}, epochs: ${first + epochs}} runs ${epochs} more`);
  }
  const callbacks = orderCallbacks(options.callbacks === undefined ? [] : Array.isArray(options.callbacks) ? options.callbacks : [options.callbacks]);
  const batchHooks = callbacks.filter((c) => typeof c.onBatchEnd === 'function');
  const reporter = makeReporter(options.progress);
  const stopper = options.earlyStopping ? new EarlyStopper(options.earlyStopping, options.validation !== undefined) : undefined;
  const guard = new FiniteGuard(fn, options.nonFinite);
  const history: Record<string, number[]> = {};
  let stopped = false;
  const stop = () => { stopped = true; };
  let lastEpoch = first - 1;
  const setState = (next: TrainState) => { state = next; };
  const resume = options.resumeFrom === undefined ? undefined : await openResume(fn, options.resumeFrom, state, callbacks, stopper);
  if (resume) ({ state } = resume);
  if (resume) Object.assign(history, resume.position.history);

  for (const c of callbacks) await c.onTrainBegin?.({ state });
  for (let epoch = resume?.position.epoch ?? first; epoch < epochs && !stopped; epoch++) {
    for (const c of callbacks) await c.onEpochBegin?.({ epoch, state });
    const t0 = performance.now();
    const here = resume?.position.epoch === epoch ? resume.position : undefined; // the resumed epoch
    const { items: all, owned } = epochOf(fn, data, epoch);
    const items = here === undefined || here.batch === 0 ? all : skipDone(all, here.batch, owned);
    reporter?.epochStart(epoch, epochs - 1, (data as { length?: unknown }).length as number | undefined);
    const accs = accumulators(trainer.metrics);
    const onPredictions = accs.length === 0 ? undefined : (preds: nx.Tensor, t: Y) => { for (const [, a] of accs) a.update(preds, t as nx.Tensor); };
    if (here) restoreMetrics(accs, here.metrics);
    const lossMean = here ? restoredLoss(here) : new LossMean();
    const logs: Record<string, number> = {};
    let samples = here?.samples ?? 0;
    let b = here?.batch ?? 0;
    // the NaN check reads each fold of losses (those of steps b - pending .. b - 1), whether a
    // full window, the live bar's read or the epoch's end makes it
    lossMean.onFold = guard.hook(epoch, () => b - lossMean.pendingCount, () => state, history);
    // asyncSteps with jit: each step's graph runs on a worker thread while the next batch is made here
    const prefetch = Boolean(trainer.jit) && options.asyncSteps === true;
    const iterator = items[Symbol.iterator]();
    let ahead: IteratorResult<Batch<In, Y>> | undefined; // the next batch, made while a step ran
    let aheadError: { error: unknown } | undefined;
    let exhausted = false;
    // after an execution (one step, or several with stepsPerExecution): each step's loss into the
    // mean, the batch hooks once (with the last batch), then the progress line
    const afterExecution = async (losses: nx.Tensor[], sizes: number[]): Promise<void> => {
      losses.forEach((loss, i) => {
        lossMean.add(loss, sizes[i]!); // owns the loss, which stays alive until the next add
        samples += sizes[i]!;
        b++;
      });
      for (const c of batchHooks) {
        const position = () => capturePosition({ epoch, batch: b, samples, history, lossMean, accs, stopper, callbacks });
        const p = c.onBatchEnd!({ epoch, batch: b - 1, size: sizes[sizes.length - 1]!, loss: losses[losses.length - 1]!, state, stop, setState, position });
        if (p) await p;
      }
      reporter?.batch(b, samples, () => lossMean.read());
    };
    try {
      try {
        while (perExecution > 1 && !stopped) {
          const group: Batch<In, Y>[] = [];
          for (let item = iterator.next(); !(exhausted = item.done === true); item = iterator.next()) {
            group.push(item.value);
            if (group.length === perExecution) break;
          }
          if (group.length === 0) break;
          try {
            // a full execution of one shape; the epoch's rest one step per execution
            const executions = group.length === perExecution && sameShapes(group) ? [group] : group.map((batch) => [batch]);
            for (const batches of executions) {
              const losses: nx.Tensor[] = [];
              if (trainer.jit && batches.length > 1) {
                const r = stepsWith(trainer, state, batches, onPredictions);
                state = r.state;
                losses.push(...r.losses);
              } else {
                // one step at a time, the state kept current after each (as a failing step leaves it)
                try {
                  for (const batch of batches) {
                    const r = stepWith(trainer, state, batch, {}, onPredictions);
                    state = r.state;
                    losses.push(r.loss);
                  }
                } catch (e) {
                  nx.dispose(losses);
                  throw e;
                }
              }
              await afterExecution(losses, batches.map(batchSize));
              if (stopped) break;
            }
          } finally {
            if (owned) nx.dispose(group);
          }
          if (exhausted) break;
        }
        if (perExecution === 1) for (let item = iterator.next(); !(exhausted = item.done === true); item = ahead ?? iterator.next()) {
          ahead = undefined;
          const batch = item.value;
          let loss: nx.Tensor;
          const n = batchSize(batch);
          try {
            let r: StepResult;
            if (prefetch) {
              const pending = stepWithAsync(trainer, state, batch, {}, onPredictions);
              try {
                ahead = iterator.next();
              } catch (e) {
                aheadError = { error: e }; // raised after this step, where fetching the batch would have raised it
              }
              r = await pending;
            } else {
              r = stepWith(trainer, state, batch, {}, onPredictions);
            }
            state = r.state;
            loss = r.loss;
          } finally {
            if (owned) nx.dispose(batch);
          }
          await afterExecution([loss], [n]);
          if (stopped) break;
          if (aheadError) throw aheadError.error;
        }
      } finally {
        // a batch made ahead and not trained on (stopped, or a step failed), and the data's own cleanup
        if (owned && ahead !== undefined && !ahead.done) nx.dispose(ahead.value);
        if (!exhausted && ahead?.done !== true) iterator.return?.();
      }
      lossMean.flush();
      checkEpochHadBatches(fn, epoch, b, data);
      logs['loss'] = lossMean.read();
      collect(accs, logs);
    } finally {
      lossMean.dispose();
      for (const [, a] of accs) a.reset();
    }
    if (options.validation !== undefined) {
      const v = evaluate(trainer, state, options.validation);
      for (const [k, val] of Object.entries(v)) logs[`val_${k}`] = val;
    }
    const seconds = (performance.now() - t0) / 1000;
    reporter?.epochEnd(logs, seconds, samples);
    lastEpoch = epoch;
    if (stopper?.update(epoch, logs, state.vars)) stopped = true;
    // callbacks may add to the logs (a learning rate); the history records what they leave
    const position = () => capturePosition({ epoch: epoch + 1, batch: 0, samples: 0, history: withLogs(history, logs), lossMean: undefined, accs: undefined, stopper, callbacks });
    for (const c of callbacks) await c.onEpochEnd?.({ epoch, logs, state, seconds, samples, stop, setState, position });
    for (const [k, val] of Object.entries(logs)) (history[k] ??= []).push(val);
    await new Promise<void>((resolve) => setImmediate(resolve)); // let timers and signals run between epochs
  }
  const best = stopper?.takeBest(lastEpoch);
  if (best !== undefined) {
    disposeReplaced([state.vars.params, state.vars.state], [best.params, best.state]);
    state = { ...state, vars: best };
  }
  for (const c of callbacks) await c.onTrainEnd?.({ state, history, setState });
  const result: FitResult = { state, history, stopped };
  if (stopper) result.bestEpoch = stopper.bestEpoch;
  return result;
}

/** The history with one more epoch's logs (a copy). */
function withLogs(history: Record<string, number[]>, logs: Record<string, number>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(history)) out[k] = [...v];
  for (const [k, val] of Object.entries(logs)) (out[k] ??= []).push(val);
  return out;
}
