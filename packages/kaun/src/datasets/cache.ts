/**
 * Where datasets are cached, and the offline switch, read from the environment at each call.
 * @module
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The dataset cache folder: `$RAVEN_CACHE_ROOT/datasets`, else `$XDG_CACHE_HOME/raven/datasets`,
 * else `~/.cache/raven/datasets`. Read from the environment at each call.
 * @example `Datasets.cacheDir()` is `/home/me/.cache/raven/datasets` by default.
 */
export function cacheDir(): string {
  const root = process.env['RAVEN_CACHE_ROOT'];
  if (root) return join(root, 'datasets');
  const xdg = process.env['XDG_CACHE_HOME'];
  if (xdg) return join(xdg, 'raven', 'datasets');
  return join(homedir(), '.cache', 'raven', 'datasets');
}

/** Whether `RAVEN_OFFLINE` is set to `1`, `true` or `yes` (no network access). Read at each call. */
export function offlineFromEnv(): boolean {
  const v = (process.env['RAVEN_OFFLINE'] ?? '').trim().toLowerCase();
  return v === '1' || v === 'true' || v === 'yes';
}
