/**
 * Checkpoint file names: where a save writes (single file, shards, index), where a load reads,
 * shard names from an index checked to stay inside the folder, and stale-shard cleanup.
 * @module
 */
import { readdir, stat, unlink } from 'node:fs/promises';
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

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
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
 * Where a save goes: an existing folder (or a path ending in `/`) means `{folder}/model.safetensors`.
 */
export async function saveTarget(path: string): Promise<CheckpointFiles> {
  if (path.endsWith('/') || path.endsWith(sep) || (await isDir(path))) return filesFor(join(path, DEFAULT_FILE));
  return filesFor(path);
}

/** The `i`-th (1-based) of `n` shard names: `{prefix}-00001-of-00003.safetensors`. */
export function shardName(prefix: string, i: number, n: number): string {
  const pad = (k: number) => String(k).padStart(5, '0');
  return `${prefix}-${pad(i)}-of-${pad(n)}.safetensors`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Removes files of an earlier save of the same name that the new one does not use: shards
 * `{prefix}-NNNNN-of-NNNNN.safetensors` not in `keep`, and `extra` paths (the index or the single
 * file). Missing files are fine.
 */
export async function removeStale(files: CheckpointFiles, keep: ReadonlySet<string>, extra: string[]): Promise<void> {
  const pattern = new RegExp(`^${escapeRegExp(files.prefix)}-\\d{5}-of-\\d{5}\\.safetensors$`);
  let names: string[] = [];
  try {
    names = await readdir(files.dir);
  } catch {
    return;
  }
  const victims = [...extra.filter((p) => names.includes(basename(p))), ...names.filter((n) => pattern.test(n) && !keep.has(n)).map((n) => join(files.dir, n))];
  for (const v of victims) await unlink(v).catch(() => undefined);
}

/** What a load reads: one safetensors file, or an index and its folder. */
export type LoadTarget = { kind: 'file'; file: string } | { kind: 'index'; index: string; dir: string };

/**
 * Resolves a load path: an index file (`*.json`); a `.safetensors` file; a folder holding
 * `model.safetensors.index.json` or `model.safetensors` (else a single index or a single
 * `.safetensors` file); or the name of a sharded save (`out/model.safetensors` whose index exists).
 * @throws CheckpointError when nothing is found, listing what was tried.
 */
export async function loadTarget(path: string, where: string): Promise<LoadTarget> {
  if (await isDir(path)) {
    const index = join(path, `${DEFAULT_FILE}.index.json`);
    if (await isFile(index)) return { kind: 'index', index, dir: path };
    const single = join(path, DEFAULT_FILE);
    if (await isFile(single)) return { kind: 'file', file: single };
    const names = await readdir(path);
    const indexes = names.filter((n) => n.endsWith('.safetensors.index.json'));
    if (indexes.length === 1) return { kind: 'index', index: join(path, indexes[0]!), dir: path };
    const files = names.filter((n) => n.endsWith('.safetensors'));
    if (indexes.length === 0 && files.length === 1) return { kind: 'file', file: join(path, files[0]!) };
    throw new CheckpointError(`${where}: folder ${path} holds no ${DEFAULT_FILE}.index.json or ${DEFAULT_FILE}` +
      (indexes.length + files.length > 0 ? ` and several candidates (${[...indexes, ...files].join(', ')}); pass the file to load` : ''));
  }
  if (path.endsWith('.json')) {
    if (await isFile(path)) return { kind: 'index', index: path, dir: dirname(path) };
    throw new CheckpointError(`${where}: index file ${path} does not exist`);
  }
  if (await isFile(path)) return { kind: 'file', file: path };
  const files = filesFor(path);
  if (await isFile(files.index)) return { kind: 'index', index: files.index, dir: files.dir };
  throw new CheckpointError(`${where}: no checkpoint at ${path} (no such file, and no index ${files.index})`);
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
