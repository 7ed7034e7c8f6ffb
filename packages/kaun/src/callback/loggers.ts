/**
 * Loggers that write `fit`'s logs to files: {@link csvLogger} (Keras' `CSVLogger`) and
 * {@link jsonlLogger}. Both resume cleanly: their file length is saved in `CheckpointManager`
 * checkpoints, and a resumed run cuts the file back to it, so the file ends up as an
 * uninterrupted run's.
 * @module
 */
import { appendFileSync, mkdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as nx from '@raven/nx';
import { KaunError } from '../errors.js';
import type { Callbacks } from '../train/index.js';

/** A file the loggers append to, with its length known (for resumption). */
class LogFile {
  bytes = 0;
  #restored = false;

  constructor(readonly path: string, readonly append: boolean) {}

  /** At the start of training: a fresh file unless appending or resuming. */
  begin(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    if (this.#restored) return;
    if (this.append) {
      try {
        this.bytes = statSync(this.path).size;
      } catch {
        this.bytes = 0;
      }
      return;
    }
    writeFileSync(this.path, '');
    this.bytes = 0;
  }

  /** Resuming: cut the file back to what it held when the checkpoint was saved. */
  restore(bytes: number): void {
    mkdirSync(dirname(this.path), { recursive: true });
    try {
      truncateSync(this.path, bytes);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      writeFileSync(this.path, '');
    }
    this.bytes = bytes;
    this.#restored = true;
  }

  write(text: string): void {
    appendFileSync(this.path, text);
    this.bytes += Buffer.byteLength(text);
  }
}

/** Options of {@link csvLogger}. */
export interface CsvLoggerOptions {
  /** The column separator; default `','`. */
  separator?: string;
  /** Append to an existing file rather than starting a new one; default false. */
  append?: boolean;
}

const CSV_KEYS: nx.OptionKeys<CsvLoggerOptions> = { separator: true, append: true };

/**
 * Writes one CSV row per epoch, as Keras' `CSVLogger`: a header `epoch,<log names sorted>`, then
 * the epoch and its logs (`loss`, metrics, `val_*`, `lr` when logged). Put it after callbacks
 * that add to the logs.
 * @throws KaunError for a separator that is empty or contains a quote or newline.
 * @example `callbacks: [Callback.csvLogger('runs/a/log.csv')]`
 */
export function csvLogger(path: string, options: CsvLoggerOptions = {}): Callbacks {
  const fn = 'Callback.csvLogger';
  nx.checkOptions(fn, options, CSV_KEYS);
  if (typeof path !== 'string' || path === '') throw new KaunError(`${fn}: path must be a non-empty string`);
  const sep = options.separator ?? ',';
  if (sep === '' || /["\r\n]/.test(sep)) throw new KaunError(`${fn}: separator must be non-empty and contain no quote or newline, got ${JSON.stringify(sep)}`);
  const file = new LogFile(path, options.append ?? false);
  let columns: string[] | undefined;
  return {
    kind: 'csvLogger',
    snapshot: () => ({ bytes: file.bytes, columns: columns ?? null }),
    restore: (snap) => {
      const s = snap as { bytes: number; columns: string[] | null };
      file.restore(s.bytes);
      columns = s.columns ?? undefined;
    },
    onTrainBegin: () => file.begin(),
    onEpochEnd({ epoch, logs }) {
      if (columns === undefined) {
        columns = Object.keys(logs).sort();
        if (file.bytes === 0) file.write(`${['epoch', ...columns].join(sep)}\n`);
      }
      file.write(`${[String(epoch), ...columns.map((k) => (logs[k] === undefined ? '' : String(logs[k])))].join(sep)}\n`);
    },
  };
}

/** Options of {@link jsonlLogger}. */
export interface JsonlLoggerOptions {
  /** Also write `{"step", "epoch", "loss"}` every this many steps (reads the loss from the device then); default never. */
  everySteps?: number;
  /** Append to an existing file; default false. */
  append?: boolean;
}

const JSONL_KEYS: nx.OptionKeys<JsonlLoggerOptions> = { everySteps: true, append: true };

/**
 * Writes JSON lines: one `{"epoch", "step", ...logs}` per epoch and, with `everySteps`, one
 * `{"step", "epoch", "loss"}` every that many steps. Easy to read back (`JSON.parse` per line,
 * pandas' `read_json(lines=True)`).
 * @throws KaunError for invalid options.
 * @example `callbacks: [Callback.jsonlLogger('runs/a/log.jsonl', { everySteps: 50 })]`
 */
export function jsonlLogger(path: string, options: JsonlLoggerOptions = {}): Callbacks {
  const fn = 'Callback.jsonlLogger';
  nx.checkOptions(fn, options, JSONL_KEYS);
  if (typeof path !== 'string' || path === '') throw new KaunError(`${fn}: path must be a non-empty string`);
  const every = options.everySteps;
  if (every !== undefined && (!Number.isInteger(every) || every < 1)) throw new KaunError(`${fn}: everySteps must be a positive integer, got ${String(every)}`);
  const file = new LogFile(path, options.append ?? false);
  return {
    kind: 'jsonlLogger',
    snapshot: () => ({ bytes: file.bytes }),
    restore: (snap) => file.restore((snap as { bytes: number }).bytes),
    onTrainBegin: () => file.begin(),
    onBatchEnd: every === undefined ? undefined : ({ epoch, state, loss }) => {
      if (state.step % every === 0) file.write(`${JSON.stringify({ step: state.step, epoch, loss: Number(nx.item(loss)) })}\n`);
    },
    onEpochEnd({ epoch, logs, state }) {
      file.write(`${JSON.stringify({ epoch, step: state.step, ...logs })}\n`);
    },
  };
}
