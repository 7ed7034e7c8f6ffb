/**
 * Where the installer keeps what it unpacks and builds: `$RAVEN_CACHE_ROOT/nx-native`, else
 * `$XDG_CACHE_HOME/raven/nx-native`, else `~/.cache/raven/nx-native` (the same root as the Hub
 * cache of `@raven/kaun-hf`).
 * @module
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The installer's cache folder for the current environment. @internal */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const root = env['RAVEN_CACHE_ROOT'];
  if (root) return join(root, 'nx-native');
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg ? xdg : join(homedir(), '.cache'), 'raven', 'nx-native');
}
