/**
 * Progress output of `fit`: a live bar on a terminal, one line per epoch otherwise. Internal.
 * @module
 */

/** How `fit` reports progress: `'auto'` (bar on a TTY, lines otherwise), `'bar'`, `'lines'`, or `false`/`true`. */
export type ProgressMode = boolean | 'auto' | 'bar' | 'lines';

/** A progress reporter. @internal */
export interface Reporter {
  epochStart(epoch: number, lastEpoch: number, numBatches: number | undefined): void;
  /** After each step; `readLoss` reads the running loss from the device (called rarely). */
  batch(done: number, samples: number, readLoss: () => number): void;
  epochEnd(logs: Record<string, number>, seconds: number, samples: number): void;
}

const BAR_WIDTH = 24;
const REDRAW_MS = 200;

function fmtValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(3) : v.toFixed(4);
}

function fmtLogs(logs: Record<string, number>): string {
  return Object.entries(logs).map(([k, v]) => `${k} ${fmtValue(v)}`).join('  ');
}

function rate(samples: number, seconds: number): string {
  return `${Math.round(samples / Math.max(seconds, 1e-9)).toLocaleString('en-US')} samples/s`;
}

/** Makes the reporter for a mode; `write` defaults to `process.stdout.write`. @internal */
export function makeReporter(mode: ProgressMode | undefined, write: (s: string) => void = (s) => { process.stdout.write(s); }): Reporter | undefined {
  const m = mode === undefined || mode === true ? 'auto' : mode;
  if (m === false) return undefined;
  const bar = m === 'bar' || (m === 'auto' && process.stdout.isTTY === true);
  let epochLabel = '';
  let total: number | undefined;
  let start = 0;
  let lastDraw = 0;
  return {
    epochStart(epoch, lastEpoch, numBatches) {
      epochLabel = `Epoch ${epoch + 1}/${lastEpoch + 1}`;
      total = numBatches;
      start = performance.now();
      lastDraw = start;
    },
    batch(done, samples, readLoss) {
      if (!bar) return;
      const now = performance.now();
      if (now - lastDraw < REDRAW_MS) return;
      lastDraw = now;
      const seconds = (now - start) / 1000;
      let progress = `${done}`;
      if (total !== undefined && total > 0) {
        const filled = Math.min(BAR_WIDTH, Math.round((done / total) * BAR_WIDTH));
        const eta = (seconds / done) * (total - done);
        progress = `${done}/${total} [${'='.repeat(filled)}${' '.repeat(BAR_WIDTH - filled)}] ETA ${eta.toFixed(0)}s`;
      }
      write(`\r${epochLabel} ${progress}  loss ${fmtValue(readLoss())}  ${rate(samples, seconds)}\x1b[K`);
    },
    epochEnd(logs, seconds, samples) {
      const line = `${epochLabel}  ${seconds.toFixed(1)}s  ${rate(samples, seconds)}  ${fmtLogs(logs)}`;
      write(bar ? `\r${line}\x1b[K\n` : `${line}\n`);
    },
  };
}
