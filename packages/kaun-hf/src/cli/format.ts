/**
 * Human-readable sizes, speeds and durations for the command-line tool.
 * @module
 */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Formats a byte count with decimal units: `603 B`, `4.0 MB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** Formats a speed in bytes per second: `3.1 MB/s`. */
export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(Number.isFinite(bytesPerSecond) ? bytesPerSecond : 0)}/s`;
}

/** Formats seconds: `0.4 s`, `12 s`, `3 min 05 s`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${String(Math.round(seconds - m * 60)).padStart(2, '0')} s`;
}
