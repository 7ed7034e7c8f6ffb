/**
 * Removing what earlier saves of a checkpoint left behind: temporaries of killed writers, shards
 * no longer referenced, an index hidden by a newer single file. Only files no live save can
 * still commit are removed (see `identity.ts`), and each is first moved aside and checked, so a
 * file that a concurrent save put under the same name meanwhile is put back, not lost.
 * @module
 */
import { link, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import * as nx from '@raven/nx';
import type { CheckpointFiles } from './files.js';
import { isShardName, kindOf } from './files.js';
import { removable, SAVE_ID_KEY } from './identity.js';

const exists = async (p: string): Promise<boolean> => (await kindOf(p)) === 'file';

/** The metadata of a shard (its safetensors header) or undefined when it is not a valid file. */
async function shardMetadata(p: string): Promise<Record<string, string> | undefined> {
  try {
    return (await nx.io.readSafetensorsHeader(p)).metadata;
  } catch {
    return undefined;
  }
}

/** The `metadata` object of an index, or undefined when it cannot be read as one. */
async function indexMetadata(p: string): Promise<{ metadata: Record<string, unknown> | undefined; shards: Set<string> } | undefined> {
  try {
    const json = JSON.parse(await readFile(p, 'utf8')) as { metadata?: unknown; weight_map?: unknown };
    const meta = typeof json.metadata === 'object' && json.metadata !== null ? (json.metadata as Record<string, unknown>) : undefined;
    const wm = typeof json.weight_map === 'object' && json.weight_map !== null ? Object.values(json.weight_map as Record<string, unknown>) : [];
    return { metadata: meta, shards: new Set(wm.filter((v): v is string => typeof v === 'string')) };
  } catch {
    return undefined;
  }
}

/**
 * Removes `path` if it is still the file that was judged removable (same save id): it is first
 * renamed to a temporary name of this process, then checked; a different file (another save put
 * one there meanwhile) is linked back under its name.
 */
async function removeChecked(path: string, saveId: unknown, readId: (p: string) => Promise<unknown>): Promise<void> {
  const aside = nx.io.tempPath(path);
  nx.io.faultPoint(`rename ${path} aside`);
  try {
    await rename(path, aside);
  } catch {
    return; // gone already
  }
  const now = await readId(aside);
  if (now !== saveId) {
    nx.io.faultPoint(`link ${path} back`);
    await link(aside, path).catch(() => undefined); // EEXIST: a newer file took the name; this one is stale
  }
  nx.io.faultPoint(`unlink ${aside}`);
  await unlink(aside).catch(() => undefined);
}

/**
 * Removes what earlier saves of `files` left: temporaries of dead writers in the folder; shards
 * of the checkpoint that the visible checkpoint does not reference; the index when a single
 * file hides it. Files that live saves may still commit are kept.
 */
export async function tidy(files: CheckpointFiles): Promise<void> {
  await nx.io.removeStaleTemporaries(files.dir);
  let names: string[];
  try {
    names = await readdir(files.dir);
  } catch {
    return;
  }
  const singleVisible = await exists(files.file);
  const index = await indexMetadata(files.index);
  if (!singleVisible && index === undefined && (await exists(files.index))) return; // a broken visible index: touch nothing
  const referenced = singleVisible || index === undefined ? new Set<string>() : index.shards;
  if (singleVisible && index !== undefined && removable(index.metadata)) {
    await removeChecked(files.index, index.metadata?.[SAVE_ID_KEY], async (p) => (await indexMetadata(p))?.metadata?.[SAVE_ID_KEY]);
  }
  for (const name of names) {
    if (!isShardName(files.prefix, name) || referenced.has(name)) continue;
    const p = join(files.dir, name);
    const meta = await shardMetadata(p);
    if (meta !== undefined && !removable(meta)) continue;
    await removeChecked(p, meta?.[SAVE_ID_KEY], async (q) => (await shardMetadata(q))?.[SAVE_ID_KEY]);
  }
  await nx.io.syncFolder(files.dir);
}
