/**
 * Resuming `fit` from a checkpoint manager's folder: where a run is (`position`), and putting a
 * run back there (`openResume`). Internal: `fit` calls these; users pass `resumeFrom`.
 * @module
 */
import * as nx from '@raven/nx';
import { join } from 'node:path';
import { loadTraining, loadTrees } from '../checkpoint/index.js';
import { BEST_VARS_FILE, isCheckpointDir, listCheckpoints, TRAINING_FILE } from '../checkpoint-manager/layout.js';
import { CheckpointError } from '../errors.js';
import type { Vars } from '../layer/index.js';
import type { Accumulator } from '../metric/index.js';
import * as Ptree from '../ptree/index.js';
import { LossMean, type LossSnapshot } from './_running.js';
import type { EarlyStopper } from './early-stopping.js';
import type { Callbacks, FitPosition, FitPositionCapture, TrainState } from './types.js';

/** Marks a callback that must run after the others (a checkpoint manager saves what they did). @internal */
export const RUNS_LAST = Symbol('raven.runsLast');

/** The callbacks with those marked {@link RUNS_LAST} moved to the end. @internal */
export function orderCallbacks(list: Callbacks[]): Callbacks[] {
  const last = (c: Callbacks) => (c as { [RUNS_LAST]?: boolean })[RUNS_LAST] === true;
  return [...list.filter((c) => !last(c)), ...list.filter(last)];
}

/** Everything `position` reads. @internal */
export interface PositionParts {
  epoch: number;
  batch: number;
  samples: number;
  history: Record<string, number[]>;
  lossMean: LossMean | undefined;
  accs: Array<[string, Accumulator]> | undefined;
  stopper: EarlyStopper | undefined;
  callbacks: Callbacks[];
}

/** Captures a position (reads the device for the partial loss and metrics). @internal */
export function capturePosition(p: PositionParts): FitPositionCapture {
  const metrics: Record<string, unknown> | null = p.accs === undefined ? null : {};
  for (const [name, a] of p.accs ?? []) metrics![name] = typeof a.snapshot === 'function' ? a.snapshot() : null;
  const es = p.stopper?.snapshot();
  const position: FitPosition = {
    epoch: p.epoch,
    batch: p.batch,
    samples: p.samples,
    history: JSON.parse(JSON.stringify(p.history)) as Record<string, number[]>,
    loss: p.lossMean?.snapshot() ?? null,
    metrics,
    earlyStopping: es?.json ?? null,
    callbacks: p.callbacks.map((c) => ({ kind: c.kind ?? 'callback', state: typeof c.snapshot === 'function' ? (c.snapshot() ?? null) : null })),
  };
  return es?.bestVars === undefined ? { position } : { position, bestVars: es.bestVars };
}

/** A run put back at a checkpoint. @internal */
export interface Resume {
  /** The loaded training state. */
  state: TrainState;
  /** Where to continue. */
  position: FitPosition;
  /** The checkpoint folder it came from. */
  path: string;
}

/** The folder of the manager among the callbacks (for `resumeFrom: 'latest'`). */
function managerDir(callbacks: Callbacks[]): string | undefined {
  for (const c of callbacks) {
    const m = c as { [RUNS_LAST]?: boolean; dir?: unknown };
    if (m[RUNS_LAST] === true && typeof m.dir === 'string') return m.dir;
  }
  return undefined;
}

async function findCheckpoint(fn: string, resumeFrom: string, callbacks: Callbacks[]): Promise<string | undefined> {
  if (resumeFrom === 'latest') {
    const dir = managerDir(callbacks);
    if (dir === undefined) throw new CheckpointError(`${fn}: resumeFrom 'latest' needs a CheckpointManager among the callbacks (or pass the folder of a checkpoint)`);
    return (await listCheckpoints(dir)).at(-1)?.path; // none yet: a fresh start, as Keras' BackupAndRestore
  }
  if (await isCheckpointDir(resumeFrom)) return resumeFrom;
  const latest = (await listCheckpoints(resumeFrom)).at(-1);
  if (latest === undefined) throw new CheckpointError(`${fn}: resumeFrom ${resumeFrom} is neither a checkpoint folder (with ${TRAINING_FILE}) nor a manager folder with checkpoints`);
  return latest.path;
}

/**
 * Loads the checkpoint `resumeFrom` names into the shape of `template` (consumed), restores the
 * callbacks' and early stopping's states, and returns where to continue; `undefined` for
 * `'latest'` with no checkpoint yet (the template is then kept).
 * @internal
 */
export async function openResume(fn: string, resumeFrom: string, template: TrainState, callbacks: Callbacks[], stopper: EarlyStopper | undefined): Promise<Resume | undefined> {
  if (typeof resumeFrom !== 'string' || resumeFrom === '') throw new CheckpointError(`${fn}: resumeFrom must be 'latest' or the path of a checkpoint (or of a manager's folder)`);
  const path = await findCheckpoint(fn, resumeFrom, callbacks);
  if (path === undefined) return undefined;
  const { state, extras } = await loadTraining(join(path, TRAINING_FILE), { like: template });
  Ptree.dispose([template.vars.params, template.vars.state, template.optState]);
  const position = (extras as { fit?: FitPosition }).fit;
  try {
    if (position === undefined) throw new CheckpointError(`${fn}: ${path} holds a training state but no fit position; was it written by a CheckpointManager?`);
    const kinds = callbacks.map((c) => c.kind ?? 'callback');
    const saved = position.callbacks.map((c) => c.kind);
    if (kinds.join(',') !== saved.join(',')) {
      throw new CheckpointError(`${fn}: the checkpoint ${path} was saved with the callbacks [${saved.join(', ')}] but this run has [${kinds.join(', ')}]; pass the same callbacks to resume`);
    }
    for (let i = 0; i < callbacks.length; i++) {
      const snap = position.callbacks[i]!.state;
      if (snap !== null && typeof callbacks[i]!.restore === 'function') await callbacks[i]!.restore!(snap);
    }
    if (stopper !== undefined && position.earlyStopping !== null) {
      let best: Vars | undefined;
      if (stopper.keepsBest && position.earlyStopping.bestEpoch >= 0) {
        try {
          const { trees } = await loadTrees(join(path, BEST_VARS_FILE), { like: { params: state.vars.params, state: state.vars.state } });
          best = { params: trees.params, state: trees.state, dtype: state.vars.dtype };
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
      stopper.restore(position.earlyStopping, best);
    }
  } catch (e) {
    Ptree.dispose([state.vars.params, state.vars.state, state.optState]);
    throw e;
  }
  return { state, position, path };
}

/** A resumed epoch's running loss. @internal */
export function restoredLoss(position: FitPosition): LossMean {
  return position.loss === null ? new LossMean() : LossMean.restore(position.loss as LossSnapshot);
}

/** Puts the training metrics back where the checkpoint left them. @internal */
export function restoreMetrics(accs: Array<[string, Accumulator]>, metrics: Record<string, unknown> | null): void {
  if (metrics === null) return;
  for (const [name, a] of accs) {
    const snap = metrics[name];
    if (snap !== undefined && snap !== null && typeof a.restore === 'function') a.restore(snap);
  }
}

/** The epoch's batches after the first `n` (built and, when owned, disposed: data order is kept). @internal */
export function* skipDone<T>(items: Iterable<T>, n: number, owned: boolean): Generator<T> {
  let i = 0;
  for (const item of items) {
    if (i++ < n) {
      if (owned) nx.dispose(item);
      continue;
    }
    yield item;
  }
}
