/**
 * Claims: while a sharded save is running, a small file in the folder,
 * `.{prefix}.safetensors.claim.{writer tag}.{random}.tmp`, lists the names the save may create
 * (its shards, under either name, and the index). Cleaning up never removes a claimed name, so a
 * save in another process (or another save of this one) never loses files it is about to commit.
 * A claim carries its writer's tag like any temporary, so the claim of a killed save is removed
 * with the other temporaries of dead writers (`nx.io.removeStaleTemporaries`).
 * @module
 */
import { readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as nx from '@raven/nx';
import type { CheckpointFiles } from './files.js';

/** Metadata key of a random id, written only when shards carry no checksums (their headers would not tell saves apart). */
export const SAVE_ID_KEY = 'raven.save_id';

/** Index metadata key: JSON `{shard file: fingerprint}` (see `nx.io.SafetensorsHeader.fingerprint`). */
export const SHARDS_KEY = 'raven.shards';

function claimBase(files: CheckpointFiles): string {
  return `${files.prefix}.safetensors.claim`;
}

/** A claim made by {@link claim}. */
export interface Claim {
  /** Removes the claim (after the save committed, or failed). */
  release(): Promise<void>;
}

/** Claims `names` in the checkpoint's folder until released. */
export async function claim(files: CheckpointFiles, names: string[]): Promise<Claim> {
  const path = nx.io.tempPath(join(files.dir, claimBase(files)));
  const tmp = nx.io.tempPath(path);
  nx.io.faultPoint(`write claim ${basename(path)}`);
  await writeFile(tmp, JSON.stringify(names));
  await rename(tmp, path); // whole or absent: a reader never sees half a claim
  return { release: () => unlink(path).catch(() => undefined) };
}

/**
 * The names claimed by saves in progress (claims of dead writers are gone first, see
 * `nx.io.removeStaleTemporaries`). `undefined` when a claim cannot be read: treat every name as
 * claimed.
 */
export async function claimedNames(files: CheckpointFiles): Promise<Set<string> | undefined> {
  const prefix = `.${claimBase(files)}.`;
  const out = new Set<string>();
  let names: string[];
  try {
    names = await readdir(files.dir);
  } catch {
    return out;
  }
  for (const n of names) {
    if (!n.startsWith(prefix) || !n.endsWith('.tmp') || n.slice(prefix.length).split('.').length !== 3) continue;
    try {
      for (const c of JSON.parse(await readFile(join(files.dir, n), 'utf8')) as unknown[]) if (typeof c === 'string') out.add(c);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') continue; // released meanwhile
      return undefined;
    }
  }
  return out;
}
