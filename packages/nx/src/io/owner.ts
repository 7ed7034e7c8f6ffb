/**
 * Who is writing: every temporary file carries the tag of the process that writes it
 * (`w{pid}-{start}-{host}`: the process id, its start time in clock ticks since boot where the
 * system says (Linux `/proc`), and a hash of the host name). A later save can then tell the
 * leftovers of a killed writer (process gone, or its pid reused by a process that started later)
 * from the files of a writer that is still running, and remove only the former.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { faultPoint } from './fault.js';

const HOST = createHash('sha1').update(hostname()).digest('hex').slice(0, 8);

/** The start time of process `pid` in clock ticks since boot (Linux), or undefined. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may hold spaces and parentheses): state is field 3,
    // starttime field 22
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = rest[22 - 3];
    return start !== undefined && /^\d+$/.test(start) ? start : undefined;
  } catch {
    return undefined;
  }
}

let ownTag: string | undefined;

/**
 * This process's writer tag, `w{pid}-{start}-{host}` (start `0` where the system does not
 * report process start times).
 * @example `nx.io.writerTag() // 'w4242-1234567-1a2b3c4d'`
 */
export function writerTag(): string {
  ownTag ??= `w${process.pid}-${startTimeOf(process.pid) ?? '0'}-${HOST}`;
  return ownTag;
}

const TAG_RE = /^w(\d+)-(\d+)-([0-9a-f]{8})$/;

/**
 * Whether the writer with this tag is still running: `'alive'`, `'dead'` (no such process, or
 * its pid now belongs to a process that started at another time), or `'unknown'` (another
 * host, or not a tag). Only `'dead'` writers' files may be removed.
 * @example `nx.io.writerState(nx.io.writerTag()) // 'alive'`
 */
export function writerState(tag: string): 'alive' | 'dead' | 'unknown' {
  const m = TAG_RE.exec(tag);
  if (m === null || m[3] !== HOST) return 'unknown';
  if (tag === writerTag()) return 'alive';
  const pid = Number(m[1]);
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as { code?: string }).code === 'ESRCH') return 'dead';
    // EPERM: a process of another user holds the pid; compare start times below
  }
  if (m[2] === '0') return 'alive';
  const start = startTimeOf(pid);
  if (start === undefined) return 'alive';
  return start === m[2] ? 'alive' : 'dead';
}

/**
 * A fresh temporary name beside `path`, carrying this process's writer tag:
 * `{dir}/.{base}.{tag}.{random}.tmp`. Files with such names are removed by
 * {@link removeStaleTemporaries} once their writer is gone.
 * @example `nx.io.tempPath('out/model.safetensors') // 'out/.model.safetensors.w4242-1234567-1a2b3c4d.9f3e0a1b.tmp'`
 */
export function tempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${writerTag()}.${randomBytes(4).toString('hex')}.tmp`);
}

/** `.{base}.{tag}.{hex}.tmp`: the writer's tag. */
const TEMP_RE = /^\..+\.(w\d+-\d+-[0-9a-f]{8})\.[0-9a-f]+\.tmp$/;
/** Names written by earlier versions: `.{base}.{pid}-{hex}.tmp` (pid only). */
const LEGACY_TEMP_RE = /^\..+\.(\d+)-[0-9a-f]{8}\.tmp$/;
/** Shard temporaries of earlier versions, `.{shard}.{saveid}.partial` (no writer recorded). */
const LEGACY_PARTIAL_RE = /^\..+\.[0-9a-f]{16}\.partial$/;
/** A legacy partial file this old has no live writer (saves do not take an hour per shard). */
const LEGACY_PARTIAL_AGE_MS = 3600_000;

function pidGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as { code?: string }).code === 'ESRCH';
  }
}

/** Whether a file name in a folder is the temporary file of a writer that is gone. */
async function isStale(dir: string, name: string): Promise<boolean> {
  const m = TEMP_RE.exec(name);
  if (m !== null) return writerState(m[1]!) === 'dead';
  const legacy = LEGACY_TEMP_RE.exec(name);
  if (legacy !== null) return pidGone(Number(legacy[1]));
  if (LEGACY_PARTIAL_RE.test(name)) {
    try {
      return Date.now() - (await stat(join(dir, name))).mtimeMs > LEGACY_PARTIAL_AGE_MS;
    } catch {
      return false;
    }
  }
  return false;
}

/**
 * Removes the temporary files that killed writers left in `dir` (see {@link tempPath}): those
 * whose writer process is gone. Temporaries of running writers (this one included) and of other
 * hosts are kept. A folder that does not exist holds nothing.
 * @returns the paths removed.
 * @example `await nx.io.removeStaleTemporaries('checkpoints/')`
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith('.') || !(await isStale(dir, name))) continue;
    const p = join(dir, name);
    faultPoint(`unlink stale ${name}`);
    try {
      await unlink(p);
      removed.push(p);
    } catch {
      // gone already (another cleaner), or not ours to remove
    }
  }
  return removed;
}
