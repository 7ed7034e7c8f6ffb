/**
 * Which save wrote a file, and whether its files may be removed. Every file a save writes (the
 * single file, each shard, the index) records the save's id and the writer's tag (see
 * `nx.io.writerTag`) in its metadata. Files of a save are removable once nothing refers to them
 * and their writer cannot refer to them any more: the writer process is gone, or it is this
 * process and that save is no longer in progress.
 * @module
 */
import { randomBytes } from 'node:crypto';
import * as nx from '@raven/nx';

/** Metadata key holding the id shared by every file of one save. */
export const SAVE_ID_KEY = 'raven.save_id';

/** Metadata key holding the tag of the process that wrote the file. */
export const WRITER_KEY = 'raven.writer';

/** The saves this process has in progress. */
const inFlight = new Set<string>();

/** Starts a save: a fresh id, marked in progress until {@link endSave}. */
export function beginSave(): string {
  const id = randomBytes(8).toString('hex');
  inFlight.add(id);
  return id;
}

/** Ends a save started by {@link beginSave}. */
export function endSave(id: string): void {
  inFlight.delete(id);
}

/**
 * Whether an unreferenced file with this metadata may be removed: it records no writer (another
 * tool's, or an older version's file, removed as transformers removes stale shards), its writer
 * is gone, or its writer is this process and its save is over. Files of live writers on this or
 * other hosts are kept: they may be about to commit.
 */
export function removable(metadata: Record<string, unknown> | undefined): boolean {
  const writer = metadata?.[WRITER_KEY];
  if (typeof writer !== 'string') return true;
  if (writer === nx.io.writerTag()) {
    const id = metadata?.[SAVE_ID_KEY];
    return typeof id !== 'string' || !inFlight.has(id);
  }
  return nx.io.writerState(writer) === 'dead';
}
