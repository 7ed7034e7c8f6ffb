/**
 * The checkpoint manager: a `fit` callback that saves the whole training state every N steps
 * and/or every epoch, keeps the last K and the best by a monitored value, and lets `fit` resume
 * a killed run exactly (`resumeFrom`).
 * @module
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as nx from '@raven/nx';
import { loadTraining, saveTraining, saveTrees } from '../checkpoint/index.js';
import { CheckpointError } from '../errors.js';
import * as Ptree from '../ptree/index.js';
import { RUNS_LAST } from '../train/resume.js';
import type { Callbacks, FitPositionCapture, TrainState } from '../train/index.js';
import { BEST_VARS_FILE, type CheckpointEntry, listCheckpoints, removeStaleTemps, TRAINING_FILE, writeCheckpointDir } from './layout.js';

/** Options of {@link make}. */
export interface CheckpointManagerOptions {
  /** The folder of the checkpoints (created when needed). */
  dir: string;
  /** Save every this many optimizer steps (HF's `save_steps`), in the middle of epochs too; default never. */
  saveSteps?: number;
  /** Save at the end of every epoch, after validation (Keras' `ModelCheckpoint`, HF's `save_strategy='epoch'`); default true. With a `monitor`, epoch ends are saved anyway (they carry its value). */
  saveEpochs?: boolean;
  /** Keep only the newest K checkpoints, plus the best one (HF's `save_total_limit`); default all. */
  keepLast?: number;
  /** A logged value (`val_loss`, `val_accuracy`) that picks the best epoch-end checkpoint, which is never deleted; default none. */
  monitor?: string;
  /** Whether the best value is the `'min'` or the `'max'`; `'auto'` (default) is max for names with acc/precision/recall/f1/auc. */
  mode?: 'min' | 'max' | 'auto';
  /** At the end of `fit`, load the best checkpoint's variables into the returned state (HF's `load_best_model_at_end`; needs `monitor`); default false. */
  restoreBestAtEnd?: boolean;
}

const KEYS: nx.OptionKeys<CheckpointManagerOptions> = { dir: true, saveSteps: true, saveEpochs: true, keepLast: true, monitor: true, mode: true, restoreBestAtEnd: true };

/** A checkpoint manager: a `fit` callback with a few functions to inspect its folder. */
export interface CheckpointManager extends Callbacks {
  /** The folder of the checkpoints. */
  readonly dir: string;
  /** The checkpoints in the folder, oldest first. */
  list(): Promise<CheckpointEntry[]>;
  /** The newest checkpoint, or `undefined`. */
  latest(): Promise<CheckpointEntry | undefined>;
  /** The best checkpoint by `monitor` so far, or `undefined`. */
  best(): Promise<CheckpointEntry | undefined>;
}

interface Best {
  step: number;
  value: number;
}

/**
 * Makes a checkpoint manager, to pass among `fit`'s callbacks (it runs after the others, so
 * what they did in a step or an epoch is in the checkpoint). A checkpoint is a folder
 * `checkpoint-<step>` with the whole training state (parameters, model state, optimizer state,
 * step and dropout key, as `Checkpoint.saveTraining` writes it), where `fit` is in the data, the
 * history so far, the running loss and metrics of the epoch in progress and every callback's
 * state. `Train.fit(..., { callbacks: [manager], resumeFrom: 'latest' })` continues from the
 * newest one exactly. Keras: `ModelCheckpoint` + `BackupAndRestore`; HF Trainer: `save_steps`,
 * `save_total_limit`, `load_best_model_at_end`, `resume_from_checkpoint`.
 *
 * - Saves are crash-safe: written to a temporary folder and renamed into place.
 * - Resuming in the middle of an epoch builds and skips the batches already done (so the data
 *   order is the same); a `Data.Dataset` must give the same batches for the same epoch (a
 *   `shuffle(key)` with the same key does).
 * @throws CheckpointError for invalid options.
 * @example
 * ```ts
 * const manager = CheckpointManager.make({ dir: 'runs/a', saveSteps: 500, keepLast: 3, monitor: 'val_loss' });
 * await Train.fit(trainer, state, train, { epochs: 10, validation: val, callbacks: [manager], resumeFrom: 'latest' });
 * ```
 */
export function make(options: CheckpointManagerOptions): CheckpointManager {
  const fn = 'CheckpointManager.make';
  nx.checkOptions(fn, options, KEYS);
  const { dir } = options ?? ({} as CheckpointManagerOptions);
  if (typeof dir !== 'string' || dir === '') throw new CheckpointError(`${fn}: dir must be a non-empty string`);
  const saveSteps = options.saveSteps;
  if (saveSteps !== undefined && (!Number.isInteger(saveSteps) || saveSteps < 1)) throw new CheckpointError(`${fn}: saveSteps must be a positive integer, got ${String(saveSteps)}`);
  const saveEpochs = options.saveEpochs ?? true;
  const keepLast = options.keepLast;
  if (keepLast !== undefined && (!Number.isInteger(keepLast) || keepLast < 1)) throw new CheckpointError(`${fn}: keepLast must be a positive integer, got ${String(keepLast)}`);
  const monitor = options.monitor;
  const mode = options.mode ?? 'auto';
  if (!['min', 'max', 'auto'].includes(mode)) throw new CheckpointError(`${fn}: mode must be 'min', 'max' or 'auto', got ${String(mode)}`);
  const max = mode === 'max' || (mode === 'auto' && monitor !== undefined && /acc|precision|recall|f1|auc/i.test(monitor));
  const restoreBestAtEnd = options.restoreBestAtEnd ?? false;
  if (restoreBestAtEnd && monitor === undefined) throw new CheckpointError(`${fn}: restoreBestAtEnd needs a monitor (e.g. 'val_loss')`);
  let best: Best | undefined;
  let cleaned = false;

  async function save(state: TrainState, capture: () => FitPositionCapture, epochEnd: boolean, logs: Record<string, number>): Promise<void> {
    if (!cleaned) {
      await removeStaleTemps(dir);
      cleaned = true;
    }
    if (epochEnd && monitor !== undefined) {
      const v = logs[monitor];
      if (v === undefined) throw new CheckpointError(`CheckpointManager: monitor '${monitor}' is not logged; logged: ${Object.keys(logs).join(', ')}`);
      if (!Number.isNaN(v) && (best === undefined || (max ? v > best.value : v < best.value))) best = { step: state.step, value: v };
    }
    const { position, bestVars } = capture(); // after `best` is updated: the manager's own state goes in too
    const info = { step: state.step, epoch: position.epoch, batch: position.batch, epochEnd, logs: epochEnd ? logs : {} };
    await writeCheckpointDir(dir, info, async (tmp) => {
      await saveTraining(join(tmp, TRAINING_FILE), state, { extras: { fit: position } });
      if (bestVars !== undefined) await saveTrees(join(tmp, BEST_VARS_FILE), { params: bestVars.params, state: bestVars.state });
    });
    if (keepLast !== undefined) {
      const all = await listCheckpoints(dir);
      const keep = new Set(all.slice(-keepLast).map((e) => e.path));
      if (best !== undefined) for (const e of all) if (e.step === best.step && e.epochEnd) keep.add(e.path);
      await Promise.all(all.filter((e) => !keep.has(e.path)).map((e) => rm(e.path, { recursive: true, force: true })));
    }
  }

  async function bestEntry(): Promise<CheckpointEntry | undefined> {
    if (best === undefined) return undefined;
    const b = best;
    return (await listCheckpoints(dir)).find((e) => e.step === b.step && e.epochEnd);
  }

  const manager: CheckpointManager & { [RUNS_LAST]: true } = {
    [RUNS_LAST]: true,
    kind: 'checkpointManager',
    dir,
    snapshot: () => ({ best: best ?? null }),
    restore: (snap) => {
      const s = snap as { best: Best | null };
      best = s.best ?? undefined;
    },
    async onBatchEnd({ state, position }) {
      if (saveSteps !== undefined && state.step % saveSteps === 0) await save(state, position, false, {});
    },
    async onEpochEnd({ state, position, logs }) {
      if (saveEpochs || monitor !== undefined) await save(state, position, true, logs);
    },
    async onTrainEnd({ state, setState }) {
      if (!restoreBestAtEnd) return;
      const entry = await bestEntry();
      if (entry === undefined || entry.step === state.step) return;
      const { state: loaded } = await loadTraining(join(entry.path, TRAINING_FILE), { like: state });
      Ptree.dispose([loaded.optState, state.vars.params, state.vars.state]);
      setState({ ...state, vars: loaded.vars });
    },
    list: () => listCheckpoints(dir),
    latest: async () => (await listCheckpoints(dir)).at(-1),
    best: bestEntry,
  };
  return manager;
}
