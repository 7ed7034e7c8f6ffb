/**
 * Checkpoint file names: where a save writes (single file, shards, index), where a load looks,
 * and shard names from an index checked to stay inside the folder.
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CheckpointError } from '../errors.js';

/** The default file name inside a folder, as Hugging Face names it. */
export const DEFAULT_FILE = 'model.safetensors';

/** Where a checkpoint named `path` lives. */
export interface CheckpointFiles {
  /** The folder. */
  dir: string;
  /** The single-file checkpoint: `{dir}/{prefix}.safetensors` (or the path as given). */
  file: string;
  /** The prefix of shard names (`model` for `model-00001-of-00003.safetensors`). */
  prefix: string;
  /** The index: `{dir}/{prefix}.safetensors.index.json`. */
  index: string;
}

/** What is at `path`: a folder, a file, something else, or nothing. */
export async function kindOf(path: string): Promise<'dir' | 'file' | 'other' | 'none'> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
  } catch {
    return 'none';
  }
}

/** The names for a checkpoint at `file` (a `.safetensors` path or any file name). */
export function filesFor(file: string): CheckpointFiles {
  const dir = dirname(file);
  const base = basename(file);
  const prefix = base.endsWith('.safetensors') ? base.slice(0, -'.safetensors'.length) : base;
  return { dir, file, prefix, index: join(dir, `${prefix}.safetensors.index.json`) };
}

/**
 * Where a save goes. One rule: a path ending in `.safetensors` is the checkpoint's file
 * (`out/model.safetensors`, or shards beside it with an index `out/model.safetensors.index.json`);
 * any other path is a folder that gets `model.safetensors` (or its shards and index) inside.
 * @throws CheckpointError when a folder path is an existing file.
 */
export async function saveTarget(path: string, where: string): Promise<CheckpointFiles> {
  if (path.endsWith('.safetensors') && !path.endsWith('/') && !path.endsWith(sep)) return filesFor(path);
  if ((await kindOf(path)) === 'file') {
    throw new CheckpointError(`${where}: ${path} is a file, but a checkpoint path without the .safetensors extension names a folder (to hold model.safetensors); pass a path ending in .safetensors, or another folder`);
  }
  return filesFor(join(path, DEFAULT_FILE));
}

/** The `i`-th (1-based) of `n` shard names, as Hugging Face names them: `{prefix}-00001-of-00003.safetensors`. */
export function shardName(prefix: string, i: number, n: number): string {
  const pad = (k: number) => String(k).padStart(5, '0');
  return `${prefix}-${pad(i)}-of-${pad(n)}.safetensors`;
}

/**
 * A shard name unique to one save, used when the usual name is taken (by the checkpoint being
 * replaced): `{prefix}.{saveId}-00001-of-00003.safetensors`. It still fits transformers'
 * `(.*?)-\d{5}-of-\d{5}` pattern, so transformers' own saves clean it up too.
 */
export function uniqueShardName(prefix: string, saveId: string, i: number, n: number): string {
  return shardName(`${prefix}.${saveId}`, i, n);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether `name` is a shard name of checkpoint `prefix` (usual or unique to a save). */
export function isShardName(prefix: string, name: string): boolean {
  return new RegExp(`^${escapeRegExp(prefix)}(?:\\.[0-9a-f]{16})?-\\d{5}-of-\\d{5}\\.safetensors$`).test(name);
}

/** Any shard name: `{prefix}-00001-of-00004.safetensors` (also with a save id in the prefix). */
const SHARD_RE = /-\d{5}-of-\d{5}\.safetensors$/;

/** Where a load may find a checkpoint: its single file and/or its index (the single file wins). */
export interface LoadCandidates {
  /** The single file, when the path allows one. */
  single?: string;
  /** The index, when the path allows one. */
  index?: string;
  /** The folder shard names are relative to. */
  dir: string;
}

/**
 * Resolves a load path to candidates: an index file (`*.json`); a `.safetensors` path (that
 * file, else its index `{path}.index.json`); a folder (`model.safetensors`, else
 * `model.safetensors.index.json`, else the one checkpoint name the folder holds); an existing
 * file of any other name. When both a single file and an index exist the single file is the
 * checkpoint, as in transformers: a save commits by renaming its single file into place, or (when
 * sharded) by writing its index and then removing the single file.
 * @throws CheckpointError when the path holds nothing loadable, listing what was looked for.
 */
export async function loadCandidates(path: string, where: string): Promise<LoadCandidates> {
  if (typeof path !== 'string' || path === '') throw new CheckpointError(`${where}: path must be a non-empty string`);
  const kind = await kindOf(path);
  if (kind === 'dir') {
    const files = filesFor(join(path, DEFAULT_FILE));
    if ((await kindOf(files.file)) === 'file' || (await kindOf(files.index)) === 'file') return { single: files.file, index: files.index, dir: path };
    const names = (await readdir(path)).filter((n) => !n.startsWith('.'));
    const INDEX = '.safetensors.index.json';
    const indexed = names.filter((n) => n.endsWith(INDEX)).map((n) => n.slice(0, -INDEX.length));
    const prefixes = new Set(indexed);
    for (const n of names) {
      // a .safetensors file is a checkpoint of its own unless it is named as a shard (of an index
      // here, or left by a sharded save that never committed its index)
      if (n.endsWith('.safetensors') && !SHARD_RE.test(n)) prefixes.add(n.slice(0, -'.safetensors'.length));
    }
    if (prefixes.size === 1) {
      const one = filesFor(join(path, `${[...prefixes][0]!}.safetensors`));
      return { single: one.file, index: one.index, dir: path };
    }
    throw new CheckpointError(`${where}: folder ${path} holds no ${DEFAULT_FILE} or ${DEFAULT_FILE}.index.json` +
      (prefixes.size > 0 ? ` and several checkpoints (${[...prefixes].sort().join(', ')}); pass the file to load` : ''));
  }
  if (path.endsWith('.json')) {
    if (kind === 'file') return { index: path, dir: dirname(path) };
    throw new CheckpointError(`${where}: index file ${path} does not exist`);
  }
  if (path.endsWith('.safetensors')) {
    const files = filesFor(path);
    if (kind === 'file' || (await kindOf(files.index)) === 'file') return { single: files.file, index: files.index, dir: files.dir };
    throw new CheckpointError(`${where}: no checkpoint at ${path} (no such file, and no index ${files.index})`);
  }
  if (kind === 'file') return { single: path, dir: dirname(path) };
  throw new CheckpointError(`${where}: no checkpoint at ${path}: no such file or folder`);
}

/**
 * Checks a shard name from an index's `weight_map` and returns its path inside `dir`.
 * @throws CheckpointError for an empty name, an absolute path, a drive letter, a backslash, a
 *   `..` or `.` segment, a NUL byte, or anything resolving outside `dir`.
 */
export function shardPath(dir: string, name: unknown, key: string, where: string): string {
  const refuse = (why: string): never => {
    throw new CheckpointError(`${where}: weight_map entry ${JSON.stringify(key)} -> ${JSON.stringify(name)} ${why}; refused (shards must be files inside the checkpoint folder)`);
  };
  if (typeof name !== 'string' || name === '') return refuse('is not a file name');
  if (name.includes('\\')) refuse('contains a backslash');
  if (name.includes('\0')) refuse('contains a NUL byte');
  if (isAbsolute(name) || /^[a-zA-Z]:/.test(name)) refuse('is an absolute path');
  if (name.split('/').some((s) => s === '..' || s === '.' || s === '')) refuse('points outside the folder');
  const full = resolve(dir, name);
  const rel = relative(resolve(dir), full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) refuse('points outside the folder');
  return join(dir, name);
}
