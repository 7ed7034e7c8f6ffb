/**
 * A lock file created with `O_EXCL` (`open(path, 'wx')`), so that two processes (or two calls in
 * one process) never write the same blob at once. The holder touches the file while it works; a
 * lock not touched for `staleMs`, or held by a dead process on this machine, is broken.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';

import { sleep } from './http.js';

/** Settings of one lock. */
export interface LockSettings {
  /** A lock untouched for this long (ms) is abandoned. */
  staleMs: number;
  /** Poll interval (ms) while waiting. */
  pollMs: number;
  /** Aborts the wait. */
  signal?: AbortSignal | undefined;
}

interface LockOwner {
  pid?: number;
  host?: string;
}

function code(err: unknown): string | undefined {
  return (err as { code?: string } | null)?.code;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return code(err) === 'EPERM';
  }
}

function isStale(mtimeMs: number, text: string, staleMs: number): boolean {
  if (Date.now() - mtimeMs > staleMs) return true;
  let owner: LockOwner;
  try {
    owner = JSON.parse(text) as LockOwner;
  } catch {
    return false; // being written right now
  }
  return (
    owner.host === hostname() && typeof owner.pid === 'number' && owner.pid !== process.pid && !pidAlive(owner.pid)
  );
}

/** Breaks the stale lock with inode `ino`; if another process replaced it meanwhile, puts theirs back. */
async function breakLock(path: string, ino: number): Promise<void> {
  const aside = `${path}.stale-${randomUUID()}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if (code(err) === 'ENOENT') return;
    throw err;
  }
  try {
    const st = await stat(aside);
    if (st.ino !== ino) await link(aside, path).catch(() => undefined);
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

/**
 * Runs `fn` while holding the lock file `path`, waiting (polling) while another holder works.
 * The lock is removed afterwards, also when `fn` throws.
 * @returns What `fn` returns.
 */
export async function withLock<T>(path: string, settings: LockSettings, fn: () => Promise<T>): Promise<T> {
  const body = JSON.stringify({ pid: process.pid, host: hostname(), id: randomUUID(), created: new Date() });
  let ino: number;
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.writeFile(body);
        ino = (await fh.stat()).ino;
      } finally {
        await fh.close();
      }
      break;
    } catch (err) {
      if (code(err) !== 'EEXIST') throw err;
    }
    let mtimeMs: number;
    let text: string;
    let heldIno: number;
    try {
      const st = await stat(path);
      mtimeMs = st.mtimeMs;
      heldIno = st.ino;
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (code(err) === 'ENOENT') continue;
      throw err;
    }
    if (isStale(mtimeMs, text, settings.staleMs)) {
      await breakLock(path, heldIno);
      continue;
    }
    await sleep(settings.pollMs, settings.signal);
  }
  const beat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, Math.max(10, Math.min(settings.staleMs / 3, 10_000)));
  beat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(beat);
    try {
      if ((await stat(path)).ino === ino) await unlink(path);
    } catch {
      // already gone
    }
  }
}
