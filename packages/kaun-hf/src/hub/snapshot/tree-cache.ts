/**
 * The file list of a commit, kept in the cache as huggingface_hub keeps it
 * (`models--org--name/trees/<commit>.json`, `format_version` 1: path -> size, blob id, LFS
 * sha256 and size), so that an offline `snapshotDownload` here or in Python can tell a complete
 * snapshot from an interrupted one.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { writeAtomic } from '../cache.js';
import type { RepoEntry } from '../repo/list-files.js';

/** What the list holds for one file. */
export interface TreeFile {
  /** Size of the content. */
  size: number;
  /** Git object id. */
  blobId: string;
  /** sha256 of an LFS file's content. */
  lfsSha256?: string;
}

const FORMAT_VERSION = 1;

/** Path of the list of `commit`. */
export function treeCachePath(repoDir: string, commit: string): string {
  return join(repoDir, 'trees', `${commit}.json`);
}

/** The recorded file list of `commit`, or `undefined` when none (or it is unreadable or of another format). */
export async function readTreeCache(repoDir: string, commit: string): Promise<Map<string, TreeFile> | undefined> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(treeCachePath(repoDir, commit), 'utf8')) as unknown;
  } catch {
    return undefined;
  }
  const d = data as { format_version?: unknown; files?: unknown } | null;
  if (d?.format_version !== FORMAT_VERSION || d.files === null || typeof d.files !== 'object') return undefined;
  const out = new Map<string, TreeFile>();
  for (const [path, raw] of Object.entries(d.files as Record<string, unknown>)) {
    const f = raw as { size?: unknown; blob_id?: unknown; lfs_sha256?: unknown } | null;
    if (typeof f?.size !== 'number' || typeof f.blob_id !== 'string') return undefined;
    out.set(path, { size: f.size, blobId: f.blob_id, ...(typeof f.lfs_sha256 === 'string' ? { lfsSha256: f.lfs_sha256 } : {}) });
  }
  return out;
}

/** Records the file list of `commit` (atomically; a failure to write is ignored, as in huggingface_hub). */
export async function writeTreeCache(repoDir: string, commit: string, entries: RepoEntry[]): Promise<void> {
  const files: Record<string, Record<string, unknown>> = {};
  for (const e of [...entries].filter((x) => x.type === 'file').sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    files[e.path] = {
      size: e.size,
      blob_id: e.oid,
      ...(e.lfs !== undefined ? { lfs_sha256: e.lfs.sha256, lfs_size: e.lfs.size } : {}),
    };
  }
  await writeAtomic(treeCachePath(repoDir, commit), JSON.stringify({ format_version: FORMAT_VERSION, files }, null, 1)).catch(
    () => undefined,
  );
}
