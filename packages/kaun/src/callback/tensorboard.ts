/**
 * `tensorBoard`: writes `fit`'s logs as TensorBoard event files.
 * @module
 */
import { appendFileSync, mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as nx from '@raven/nx';
import { KaunError } from '../errors.js';
import type { Callbacks } from '../train/index.js';
import { encodeEvent, tfRecord, type EventBody } from './tfrecord.js';

/** Options of {@link tensorBoard}. */
export interface TensorBoardOptions {
  /** Also write the batch loss (`batch_loss`) every this many steps (reads the loss from the device then); default never (epochs only). */
  updateFreq?: number;
}

const KEYS: nx.OptionKeys<TensorBoardOptions> = { updateFreq: true };

let fileCounter = 0;

/** One event file, appended record by record, its length known (for resumption). */
class EventFile {
  bytes = 0;
  path: string | undefined;

  constructor(readonly dir: string) {}

  open(): void {
    mkdirSync(this.dir, { recursive: true });
    this.path = join(this.dir, `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname()}.${process.pid}.${fileCounter++}.v2`);
    writeFileSync(this.path, '');
    this.bytes = 0;
    this.write(0, { fileVersion: 'brain.Event:2' });
  }

  write(step: number, body: EventBody): void {
    if (this.path === undefined) this.open();
    const rec = tfRecord(encodeEvent(Date.now() / 1000, step, body));
    appendFileSync(this.path!, rec);
    this.bytes += rec.length;
  }

  restore(path: string, bytes: number): void {
    mkdirSync(this.dir, { recursive: true });
    try {
      truncateSync(path, bytes);
      this.path = path;
      this.bytes = bytes;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.path = undefined; // gone: a new file
    }
  }
}

/**
 * Writes TensorBoard event files as Keras' `TensorBoard` callback lays them out:
 * `<logDir>/train/` gets `epoch_<name>` for the training logs (`epoch_loss`, `epoch_accuracy`,
 * `epoch_lr`) and, with `updateFreq`, `batch_loss` at the global step; `<logDir>/validation/`
 * gets `epoch_<name>` for the `val_<name>` logs. View with `tensorboard --logdir <logDir>`.
 * Records are TFRecords of `Event` protocol buffers with `simple_value` scalars, the format
 * TensorFlow's `summary_iterator` and TensorBoard read. A resumed run (`CheckpointManager`)
 * continues the same files, cut back to the checkpoint.
 * @throws KaunError for invalid options.
 * @example `callbacks: [Callback.tensorBoard('runs/a/tb', { updateFreq: 50 })]`
 */
export function tensorBoard(logDir: string, options: TensorBoardOptions = {}): Callbacks {
  const fn = 'Callback.tensorBoard';
  nx.checkOptions(fn, options, KEYS);
  if (typeof logDir !== 'string' || logDir === '') throw new KaunError(`${fn}: logDir must be a non-empty string`);
  const every = options.updateFreq;
  if (every !== undefined && (!Number.isInteger(every) || every < 1)) throw new KaunError(`${fn}: updateFreq must be a positive integer, got ${String(every)}`);
  const train = new EventFile(join(logDir, 'train'));
  const validation = new EventFile(join(logDir, 'validation'));
  return {
    kind: 'tensorBoard',
    snapshot: () => ({ train: [train.path ?? null, train.bytes], validation: [validation.path ?? null, validation.bytes] }),
    restore: (snap) => {
      const s = snap as Record<'train' | 'validation', [string | null, number]>;
      if (s.train[0] !== null) train.restore(s.train[0], s.train[1]);
      if (s.validation[0] !== null) validation.restore(s.validation[0], s.validation[1]);
    },
    onBatchEnd: every === undefined ? undefined : ({ state, loss }) => {
      if (state.step % every === 0) train.write(state.step, { scalars: { batch_loss: Number(nx.item(loss)) } });
    },
    onEpochEnd({ epoch, logs }) {
      const t: Record<string, number> = {};
      const v: Record<string, number> = {};
      for (const [k, val] of Object.entries(logs)) {
        if (k.startsWith('val_')) v[`epoch_${k.slice(4)}`] = val;
        else t[`epoch_${k}`] = val;
      }
      if (Object.keys(t).length > 0) train.write(epoch, { scalars: t });
      if (Object.keys(v).length > 0) validation.write(epoch, { scalars: v });
    },
  };
}
