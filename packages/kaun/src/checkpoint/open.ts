/**
 * Opening a checkpoint consistently: the single file, or the index and then every shard it
 * names, each kept open so that all bytes read later come from the files that were validated.
 * When a concurrent save changes the checkpoint under the reader (a shard removed, or shards
 * from another save than the index's), everything is closed and opened again from the top.
 * @module
 */
import * as nx from '@raven/nx';
import { CheckpointError } from '../errors.js';
import { loadCandidates } from './files.js';
import { SAVE_ID_KEY, SHARDS_KEY } from './claims.js';
import { readIndex } from './index-file.js';

/** An open checkpoint: where each key lives, and the open files. */
export interface Sources {
  /** Key -> path of the file holding it, in checkpoint order. */
  files: Map<string, string>;
  /** Key -> dtype, shape and offsets (from the headers of the open files). */
  infos: Map<string, nx.io.SafetensorsTensorInfo>;
  /** The metadata strings (of the file, or of the index), without the writer's own keys. */
  metadata: Record<string, string>;
  /** `'file'` or `'sharded'`. */
  kind: 'file' | 'sharded';
  /** The files holding the checkpoint (one, or the shards in index order). */
  paths: string[];
  /** Every key of the checkpoint (also those not opened), in checkpoint order. */
  allKeys: string[];
  /** Path -> its open file. */
  readers: Map<string, nx.io.SafetensorsReader>;
  /** Closes every open file. */
  close(): Promise<void>;
}

/** How often a load re-opens a checkpoint that changed under it before giving up. */
const ATTEMPTS = 12;

/** Metadata keys the writer adds, not shown as the checkpoint's metadata. */
const HIDDEN = new Set([SAVE_ID_KEY, SHARDS_KEY, nx.io.CHECKSUM_KEY]);

function visible(meta: Record<string, unknown>): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(meta)) if (typeof v === 'string' && !HIDDEN.has(k)) out[k] = v;
  return out;
}

const isMissing = (err: unknown) => (err as { code?: string }).code === 'ENOENT';

/** A reason to open again from the top (the checkpoint changed while being opened). */
class Changed extends Error {}

async function closeAll(readers: Iterable<nx.io.SafetensorsReader>): Promise<void> {
  for (const r of readers) await r.close().catch(() => undefined);
}

async function openSingle(file: string): Promise<Sources> {
  const reader = await nx.io.openSafetensors(file);
  const files = new Map<string, string>();
  const infos = new Map<string, nx.io.SafetensorsTensorInfo>();
  for (const name of reader.header.names) {
    files.set(name, file);
    infos.set(name, reader.header.tensors[name]!);
  }
  const readers = new Map([[file, reader]]);
  return { files, infos, metadata: visible(reader.header.metadata), kind: 'file', paths: [file], allKeys: [...reader.header.names], readers, close: () => closeAll(readers.values()) };
}

/** The `raven.shards` fingerprints of an index, or undefined (another tool's index, or damaged). */
function parseFingerprints(raw: unknown): Record<string, string> | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const v = JSON.parse(raw) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

async function openSharded(where: string, indexPath: string, dir: string, wanted: ReadonlySet<string> | undefined): Promise<Sources> {
  let index;
  try {
    index = await readIndex(indexPath, dir, where);
  } catch (err) {
    if (isMissing(err)) throw new Changed(`index ${indexPath} disappeared`);
    throw err;
  }
  const saveId = index.metadata[SAVE_ID_KEY]; // indexes of earlier versions: one id in every file
  const fingerprints = parseFingerprints(index.metadata[SHARDS_KEY]);
  const files = new Map<string, string>();
  const needed = new Map<string, string[]>(); // shard path -> keys wanted from it
  for (const [key, shard] of index.weightMap) {
    if (wanted !== undefined && !wanted.has(key)) continue;
    const p = index.shardPaths.get(shard)!;
    files.set(key, p);
    (needed.get(p) ?? needed.set(p, []).get(p)!).push(key);
  }
  const readers = new Map<string, nx.io.SafetensorsReader>();
  const infos = new Map<string, nx.io.SafetensorsTensorInfo>();
  try {
    for (const [p, keys] of needed) {
      let reader: nx.io.SafetensorsReader;
      try {
        reader = await nx.io.openSafetensors(p);
      } catch (err) {
        if (isMissing(err)) throw new Changed(`shard ${p} named by index ${indexPath} (for ${keys.length} keys, e.g. ${JSON.stringify(keys[0])}) does not exist`);
        throw err;
      }
      readers.set(p, reader);
      const { header } = reader;
      const shard = [...index.shardPaths].find(([, q]) => q === p)![0];
      const mismatch = fingerprints !== undefined ? fingerprints[shard] !== header.fingerprint : typeof saveId === 'string' && header.metadata[SAVE_ID_KEY] !== saveId;
      if (mismatch) {
        throw new Changed(`shard ${p} is not from the save that wrote index ${indexPath} (the files were changed by hand, or by another tool, or a save is replacing them)`);
      }
      for (const key of keys) {
        if (!Object.prototype.hasOwnProperty.call(header.tensors, key)) {
          throw new CheckpointError(`${where}: index ${indexPath} maps key ${JSON.stringify(key)} to shard ${p}, which has no such tensor`);
        }
        infos.set(key, header.tensors[key]!);
      }
    }
  } catch (err) {
    await closeAll(readers.values());
    throw err;
  }
  return { files, infos, metadata: visible(index.metadata), kind: 'sharded', paths: [...new Set(index.shardPaths.values())], allKeys: [...index.weightMap.keys()], readers, close: () => closeAll(readers.values()) };
}

async function openOnce(where: string, path: string, wanted: ReadonlySet<string> | undefined): Promise<Sources> {
  const c = await loadCandidates(path, where);
  if (c.single !== undefined) {
    try {
      return await openSingle(c.single);
    } catch (err) {
      if (!isMissing(err)) throw err;
      if (c.index === undefined) throw new Changed(`${c.single} disappeared`);
    }
  }
  return openSharded(where, c.index!, c.dir, wanted);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Opens the checkpoint at `path` (see `loadCandidates` for what paths mean), reading the headers
 * of the files that hold `wanted` keys (all keys when undefined). Keys the checkpoint lacks are
 * left out (the caller reports them). The caller must `close()` the result.
 * @throws CheckpointError when nothing is at `path`, the index is malformed or names a key its
 *   shard lacks, or the checkpoint stays inconsistent (a missing shard, shards from different
 *   saves) over several attempts; nx `SafetensorsFormatError` for a malformed file.
 */
export async function openCheckpoint(where: string, path: string, wanted?: ReadonlySet<string>): Promise<Sources> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openOnce(where, path, wanted);
    } catch (err) {
      if (!(err instanceof Changed)) throw err;
      if (attempt >= ATTEMPTS) throw new CheckpointError(`${where}: ${err.message}; still so after ${ATTEMPTS} attempts. If no save is running, the checkpoint is damaged: save it again`);
      await sleep(Math.min(2 ** attempt, 50));
    }
  }
}
