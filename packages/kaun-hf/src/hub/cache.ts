/**
 * The cache layout of huggingface_hub: `models--org--name/blobs/<etag>`,
 * `snapshots/<commit>/<path>` (relative symlink to the blob, or a copy), `refs/<revision>`
 * (the commit) and `.no_exist/<commit>/<path>` (files known to be absent). Internal.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

import { repoFolderName, safeSegments } from './paths.js';

/** The cache folder of one repository. */
export function repoCacheDir(cacheDir: string, repoId: string): string {
  return join(cacheDir, repoFolderName(repoId));
}

/** Whether a path exists (following symlinks). */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes `content` to `path` atomically (temporary file, then rename). */
export async function writeAtomic(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${randomUUID()}`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}

/** The commit `refs/<revision>` points to, if recorded (and well formed). */
export async function readRef(repoDir: string, revision: string, where: string): Promise<string | undefined> {
  const path = join(repoDir, 'refs', ...safeSegments(revision, 'revision', where, 'argument'));
  try {
    const commit = (await readFile(path, 'utf8')).trim();
    return /^[A-Za-z0-9_.-]+$/.test(commit) && !commit.startsWith('.') ? commit : undefined;
  } catch {
    return undefined;
  }
}

/** Records that `revision` (a branch or tag) resolves to `commit`. */
export async function writeRef(repoDir: string, revision: string, commit: string, where: string): Promise<void> {
  if (revision === commit) return;
  const path = join(repoDir, 'refs', ...safeSegments(revision, 'revision', where, 'argument'));
  try {
    if ((await readFile(path, 'utf8')).trim() === commit) return;
  } catch {
    // not recorded yet
  }
  await writeAtomic(path, commit);
}

/** Path of the marker saying `segments` does not exist at `commit`. */
export function noExistPath(repoDir: string, commit: string, segments: string[]): string {
  return join(repoDir, '.no_exist', commit, ...segments);
}

/**
 * Makes `pointer` (in a snapshot) refer to `blob`: a relative symlink (`../../blobs/<etag>`),
 * or a copy when `symlinks` is false or a symlink cannot be made. Atomic: made beside, renamed.
 */
export async function linkPointer(blob: string, pointer: string, symlinks: boolean | undefined): Promise<void> {
  await mkdir(dirname(pointer), { recursive: true });
  const tmp = `${pointer}.tmp-${randomUUID()}`;
  let linked = false;
  if (symlinks !== false) {
    try {
      await symlink(relative(dirname(pointer), blob), tmp);
      linked = true;
    } catch {
      linked = false; // e.g. Windows without developer mode, some network filesystems
    }
  }
  try {
    if (!linked) await copyFile(blob, tmp);
    await rename(tmp, pointer);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
