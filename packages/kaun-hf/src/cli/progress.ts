/**
 * Progress display for the command-line tool, downloads and uploads: on a terminal one bar per
 * file, redrawn in place (bytes, percent, speed); elsewhere (pipes, CI logs) plain lines: start,
 * a line every few seconds, done.
 * @module
 */
import { checkOptions, type OptionKeys } from '@raven/nx/options';
import type { DownloadProgress } from '../hub/progress.js';
import type { UploadProgress } from '../hub/upload/progress.js';
import { formatBytes, formatSeconds, formatSpeed } from './format.js';

/** Where progress goes: `process.stderr` or anything with `write` (tests pass a fake TTY). */
export interface ProgressStream {
  write(text: string): unknown;
  /** Whether it is a terminal; bars are drawn only then. */
  isTTY?: boolean;
  /** Terminal width; 80 when unknown or 0. */
  columns?: number;
}

/** Options of {@link createProgressRenderer}. */
export interface ProgressRendererOptions {
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
  /** Smallest gap between two redraws of a bar (ms). Default 100. */
  redrawMs?: number;
  /** Gap between two plain progress lines of one file (ms). Default 5000. */
  lineEveryMs?: number;
  /** What the plain start line says is happening. Default `'downloading'`. */
  verb?: string;
}

const RENDERER_KEYS: OptionKeys<ProgressRendererOptions> = { now: true, redrawMs: true, lineEveryMs: true, verb: true };
const UPLOAD_RENDERER_KEYS: OptionKeys<Omit<ProgressRendererOptions, 'verb'>> = { now: true, redrawMs: true, lineEveryMs: true };

interface FileState {
  start: number;
  lastDraw: number;
  resumedFrom: number;
}

/** Draws the bar line of one file, fitted to `columns`. */
export function renderBar(p: DownloadProgress, speed: number, columns: number): string {
  const pct = p.total ? Math.min(100, Math.floor((100 * p.downloaded) / p.total)) : undefined;
  const sizes =
    p.total !== undefined ? `${formatBytes(p.downloaded)}/${formatBytes(p.total)}` : formatBytes(p.downloaded);
  const tail = ` ${pct === undefined ? '  ?' : String(pct).padStart(3)}% ${sizes} ${formatSpeed(speed)}`;
  const barWidth = Math.max(10, Math.min(30, columns - tail.length - 24));
  const filled = pct === undefined ? 0 : Math.round((barWidth * pct) / 100);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]`;
  const room = Math.max(8, columns - 1 - bar.length - tail.length - 1);
  const name = p.filename.length > room ? `…${p.filename.slice(-(room - 1))}` : p.filename.padEnd(room);
  return `${name} ${bar}${tail}`.slice(0, Math.max(20, columns - 1));
}

/**
 * Makes an `onProgress` handler that renders to `stream`.
 * @returns The handler, to pass as `onProgress`.
 * @example
 * ```ts
 * await downloadFile({ modelId, filename, onProgress: createProgressRenderer(process.stderr) });
 * ```
 */
export function createProgressRenderer(
  stream: ProgressStream,
  options: ProgressRendererOptions = {},
): (p: DownloadProgress) => void {
  checkOptions('createProgressRenderer', options, RENDERER_KEYS);
  const now = options.now ?? Date.now;
  const redrawMs = options.redrawMs ?? 100;
  const lineEveryMs = options.lineEveryMs ?? 5000;
  const files = new Map<string, FileState>();
  const tty = stream.isTTY === true;

  return (p: DownloadProgress): void => {
    const key = `${p.modelId}\n${p.filename}`;
    const t = now();
    if (p.fromCache) {
      files.delete(key);
      stream.write(`${tty ? '\r\x1b[2K' : ''}${p.filename}: cached (${formatBytes(p.downloaded)})\n`);
      return;
    }
    let state = files.get(key);
    if (state === undefined) {
      state = { start: t, lastDraw: Number.NEGATIVE_INFINITY, resumedFrom: p.resumedFrom };
      files.set(key, state);
      if (!tty) {
        const size = p.total !== undefined ? formatBytes(p.total) : 'size unknown';
        const resume = p.resumedFrom > 0 ? `, resuming at ${formatBytes(p.resumedFrom)}` : '';
        stream.write(`${p.filename}: ${options.verb ?? 'downloading'} (${size}${resume})\n`);
      }
    }
    const seconds = Math.max(1e-3, (t - state.start) / 1000);
    const speed = Math.max(0, p.downloaded - state.resumedFrom) / seconds;
    if (p.done) {
      files.delete(key);
      if (tty) stream.write(`\r\x1b[2K${renderBar(p, speed, stream.columns || 80)}\n`);
      else {
        stream.write(
          `${p.filename}: done, ${formatBytes(p.downloaded)} in ${formatSeconds(seconds)} (${formatSpeed(speed)})\n`,
        );
      }
      return;
    }
    if (tty) {
      if (t - state.lastDraw < redrawMs) return;
      state.lastDraw = t;
      stream.write(`\r\x1b[2K${renderBar(p, speed, stream.columns || 80)}`);
    } else if (t - Math.max(state.lastDraw, state.start) >= lineEveryMs) {
      state.lastDraw = t;
      const pct = p.total ? ` ${Math.floor((100 * p.downloaded) / p.total)}%` : '';
      const total = p.total !== undefined ? `/${formatBytes(p.total)}` : '';
      stream.write(`${p.filename}:${pct} ${formatBytes(p.downloaded)}${total} ${formatSpeed(speed)}\n`);
    }
  };
}

/**
 * Makes an upload `onProgress` handler that renders to `stream`: on a terminal a bar per file
 * and phase (hashing, then uploading to storage), elsewhere plain lines; a line for files left
 * out because the Hub holds them already.
 * @returns The handler, to pass as `onProgress` of `uploadFolder`, `uploadFile` or `pushToHub`.
 * @example
 * ```ts
 * await uploadFolder('out', 'org/name', { onProgress: createUploadRenderer(process.stderr) });
 * ```
 */
export function createUploadRenderer(
  stream: ProgressStream,
  options: Omit<ProgressRendererOptions, 'verb'> = {},
): (p: UploadProgress) => void {
  checkOptions('createUploadRenderer', options, UPLOAD_RENDERER_KEYS);
  const hashing = createProgressRenderer(stream, { ...options, verb: 'hashing' });
  const uploading = createProgressRenderer(stream, { ...options, verb: 'uploading' });
  const tty = stream.isTTY === true;
  return (p: UploadProgress): void => {
    if (p.phase === 'unchanged' || p.phase === 'stored') {
      const why = p.phase === 'unchanged' ? 'unchanged on the branch, left out' : 'already in the Hub\'s storage, not sent again';
      stream.write(`${tty ? '\r\x1b[2K' : ''}${p.pathInRepo}: ${why}\n`);
      return;
    }
    const render = p.phase === 'hashing' ? hashing : uploading;
    render({
      modelId: p.repoId,
      filename: tty ? `${p.pathInRepo} (${p.phase === 'hashing' ? 'sha256' : 'upload'})` : p.pathInRepo,
      downloaded: p.bytes,
      total: p.total,
      resumedFrom: 0,
      done: p.done,
      fromCache: false,
    });
  };
}
