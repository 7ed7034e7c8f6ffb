/**
 * The sharded-checkpoint index, `model.safetensors.index.json`:
 * `{"metadata": {"total_size": N, ...}, "weight_map": {key: shard file}}`.
 * @module
 */
import { open } from 'node:fs/promises';
import { CheckpointError } from '../errors.js';
import { shardPath } from './files.js';

/** The largest index file read (100 MB, like the safetensors header limit). */
const MAX_INDEX_BYTES = 100_000_000;

/** A validated index. */
export interface ShardIndex {
  /** The `metadata` object as stored (`total_size` and any strings). */
  metadata: Record<string, unknown>;
  /** Key -> shard file name, as stored. */
  weightMap: Map<string, string>;
  /** Shard file name -> its path inside the folder (each checked not to escape it). */
  shardPaths: Map<string, string>;
}

/**
 * Reads and validates an index.
 * @throws CheckpointError for a file that is too large, not JSON, without a `weight_map` object of
 *   strings, or naming a shard outside the folder.
 */
export async function readIndex(indexPath: string, dir: string, where: string): Promise<ShardIndex> {
  const at = `${where}: index ${indexPath}`;
  // one open file: its size and its text are of the same index (a save may replace it meanwhile)
  const handle = await open(indexPath, 'r');
  let text: string;
  try {
    const { size } = await handle.stat();
    if (size > MAX_INDEX_BYTES) throw new CheckpointError(`${at}: ${size} bytes is over the ${MAX_INDEX_BYTES}-byte limit for an index`);
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new CheckpointError(`${at}: not valid JSON (${(cause as Error).message})`, { cause });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CheckpointError(`${at}: expected a JSON object with "weight_map"`);
  const { weight_map: wm, metadata } = json as Record<string, unknown>;
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) throw new CheckpointError(`${at}: "weight_map" must be an object of key -> shard file`);
  const weightMap = new Map<string, string>();
  const shardPaths = new Map<string, string>();
  for (const [key, file] of Object.entries(wm as Record<string, unknown>)) {
    if (!shardPaths.has(file as string)) shardPaths.set(file as string, shardPath(dir, file, key, at));
    weightMap.set(key, file as string);
  }
  const meta = typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata) ? (metadata as Record<string, unknown>) : {};
  return { metadata: meta, weightMap, shardPaths };
}
