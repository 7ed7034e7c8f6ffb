/**
 * The folder a checkpoint manager writes: one sub-folder per checkpoint, `checkpoint-<step>/`
 * (as Hugging Face Trainer names them), each holding `training.safetensors` (the whole training
 * state), `info.json` and, with early stopping's `restoreBest`, `best-vars.safetensors`. A
 * checkpoint is written into a hidden temporary folder and renamed into place, so a run killed
 * while saving leaves the previous checkpoints intact and no half-written one is ever listed.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from '../errors.js';

/** The training state file of a checkpoint folder. */
export const TRAINING_FILE = 'training.safetensors';
/** Early stopping's best variables, when kept. */
export const BEST_VARS_FILE = 'best-vars.safetensors';
/** What a checkpoint is: step, epoch, logs. */
export const INFO_FILE = 'info.json';

const NAME = /^checkpoint-(\d+)$/;
const TMP_PREFIX = '.tmp-checkpoint-';

/** One checkpoint of a manager's folder. */
export interface CheckpointEntry {
  /** The optimizer steps done when it was saved. */
  step: number;
  /** Its folder. */
  path: string;
  /** The epoch it continues in (an epoch-end checkpoint points at the next epoch). */
  epoch: number;
  /** Batches of that epoch already done. */
  batch: number;
  /** Whether it was saved at the end of an epoch. */
  epochEnd: boolean;
  /** The logs of the epoch that ended (epoch-end checkpoints), else `{}`. */
  logs: Record<string, number>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether `path` is one checkpoint folder (it holds a training state). @internal */
export async function isCheckpointDir(path: string): Promise<boolean> {
  return exists(join(path, TRAINING_FILE));
}

/**
 * The complete checkpoints of a manager's folder, oldest step first; `[]` when the folder does
 * not exist.
 */
export async function listCheckpoints(dir: string): Promise<CheckpointEntry[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: CheckpointEntry[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    let info: Omit<CheckpointEntry, 'path'>;
    try {
      info = JSON.parse(await readFile(join(path, INFO_FILE), 'utf8')) as Omit<CheckpointEntry, 'path'>;
    } catch {
      continue; // not one of ours, or damaged by hand: never resume from it
    }
    out.push({ ...info, path });
  }
  return out.sort((a, b) => a.step - b.step || Number(a.epochEnd) - Number(b.epochEnd));
}

/** Removes temporary folders left by a run killed while saving. @internal */
export async function removeStaleTemps(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names.filter((n) => n.startsWith(TMP_PREFIX)).map((n) => rm(join(dir, n), { recursive: true, force: true })));
}

/**
 * Writes a checkpoint folder atomically: `write(tmp)` fills a temporary folder, `info.json` is
 * added, and the folder is renamed to `checkpoint-<step>` (an existing one of that step, from a
 * mid-epoch save at the same step, is replaced).
 * @internal
 */
export async function writeCheckpointDir(dir: string, info: Omit<CheckpointEntry, 'path'>, write: (tmp: string) => Promise<void>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${TMP_PREFIX}${info.step}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  try {
    await write(tmp);
    await writeFile(join(tmp, INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
    const final = join(dir, `checkpoint-${info.step}`);
    if (await exists(final)) {
      const old = `${tmp}-old`;
      await rename(final, old);
      await rename(tmp, final);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, final);
    }
    return final;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw new CheckpointError(`CheckpointManager: could not save the checkpoint of step ${info.step} in ${dir}: ${(e as Error).message}`, { cause: e });
  }
}
