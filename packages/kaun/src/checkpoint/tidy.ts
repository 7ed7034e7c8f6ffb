/**
 * Removing what earlier saves of a checkpoint left behind: temporaries of killed writers, shards
 * the visible checkpoint does not reference, an index hidden by a single file. A name that a
 * running save has claimed is never removed (see `claims.ts`). Each file is moved aside first and
 * the claims and the visible checkpoint are read again: a file that became claimed or referenced
 * meanwhile (a concurrent save committed) is put back, not lost.
 * @module
 */
import { link, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import * as nx from '@raven/nx';
import { claimedNames } from './claims.js';
import { isShardName, kindOf, type CheckpointFiles } from './files.js';

const isFile = async (p: string): Promise<boolean> => (await kindOf(p)) === 'file';

/** What the folder shows now: whether the single file is there, and the shards the index names. */
async function visible(files: CheckpointFiles): Promise<{ single: boolean; referenced: Set<string>; indexReadable: boolean }> {
  const single = await isFile(files.file);
  try {
    const json = JSON.parse(await readFile(files.index, 'utf8')) as { weight_map?: unknown };
    const wm = typeof json.weight_map === 'object' && json.weight_map !== null ? Object.values(json.weight_map as Record<string, unknown>) : [];
    return { single, referenced: new Set(wm.filter((v): v is string => typeof v === 'string')), indexReadable: true };
  } catch (err) {
    return { single, referenced: new Set(), indexReadable: (err as { code?: string }).code === 'ENOENT' };
  }
}

/**
 * Removes the file `name` unless, once it is moved aside, it turns out to be needed: claimed by a
 * running save, or part of the visible checkpoint (`stillNeeded`). A needed file is linked back
 * under its name (unless a newer file took the name, which makes this one stale).
 */
async function removeUnlessNeeded(files: CheckpointFiles, name: string, stillNeeded: (claimed: Set<string> | undefined) => Promise<boolean>): Promise<void> {
  const path = join(files.dir, name);
  const aside = nx.io.tempPath(path);
  nx.io.faultPoint(`rename ${name} aside`);
  try {
    await rename(path, aside);
  } catch {
    return; // gone already
  }
  const claimed = await claimedNames(files);
  if (claimed === undefined || claimed.has(name) || (await stillNeeded(claimed))) {
    nx.io.faultPoint(`link ${name} back`);
    await link(aside, path).catch(() => undefined); // EEXIST: a newer file took the name
  }
  nx.io.faultPoint(`unlink ${name} (aside)`);
  await unlink(aside).catch(() => undefined);
}

/**
 * Removes what earlier saves of `files` left: temporaries of dead writers in the folder; shards of
 * the checkpoint that the visible checkpoint does not reference; the index when a single file
 * hides it. Claimed names are kept.
 */
export async function tidy(files: CheckpointFiles): Promise<void> {
  await nx.io.removeStaleTemporaries(files.dir);
  let names: string[];
  try {
    names = await readdir(files.dir);
  } catch {
    return;
  }
  const claimed = await claimedNames(files);
  if (claimed === undefined) return; // a claim being written: leave everything to its save
  const now = await visible(files);
  if (!now.single && !now.indexReadable) return; // a damaged visible index: touch nothing
  const indexName = files.index.slice(files.dir.length + 1);
  if (now.single && names.includes(indexName) && !claimed.has(indexName)) {
    // hidden by the single file; needed again only if the single file is gone (a sharded save committed)
    await removeUnlessNeeded(files, indexName, async () => !(await isFile(files.file)));
  }
  const referenced = now.single ? new Set<string>() : now.referenced;
  for (const name of names) {
    if (!isShardName(files.prefix, name) || referenced.has(name) || claimed.has(name)) continue;
    await removeUnlessNeeded(files, name, async () => {
      const again = await visible(files);
      return !again.single && again.referenced.has(name);
    });
  }
  await nx.io.syncFolder(files.dir);
}
