/**
 * Inspecting and clearing the cache: `listCache`, `clearCache`.
 * @module
 */
import { lstat, readFile, readdir, readlink, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { checkOptions, type OptionKeys } from '@raven/nx/options';

import { resolveHubConfig } from './config.js';
import { checkRepoId, repoFolderName } from './paths.js';

/** One file of a cached snapshot. */
export interface CachedFile {
  /** Path inside the repository, with `/`. */
  path: string;
  /** Size in bytes (of the blob it links to); 0 for a dangling link. */
  size: number;
  /** Blob (ETag) it links to; `undefined` for a copy. */
  blob: string | undefined;
  /** Absolute path in the snapshot. */
  localPath: string;
}

/** One unfinished download in `blobs/`. */
export interface PartialFile {
  /** Absolute path. */
  path: string;
  /** The blob (ETag) it will become. */
  blob: string;
  /** Bytes so far. */
  size: number;
  /** Last written. */
  modified: Date;
  /** `'raven'` (`<etag>.raven.incomplete`, resumed by the next download) or `'other'` (huggingface_hub's `<etag>[.<id>].incomplete`). */
  writer: 'raven' | 'other';
  /**
   * Whether a process may be writing it now: Raven's lock on the blob is held, or the file was
   * written less than a minute ago. `clearCache({ incomplete: true })` leaves these.
   */
  inUse: boolean;
}

/** One cached commit. */
export interface CachedSnapshot {
  /** Commit hash (the snapshot folder's name). */
  commit: string;
  /** Branches and tags recorded in `refs/` that point to it. */
  refs: string[];
  /** Its files, sorted by path. */
  files: CachedFile[];
}

/** One cached repository. */
export interface CachedRepo {
  /** Repository id (`org/name`). */
  repoId: string;
  /** Kind of repository, from the folder prefix. */
  repoType: 'model' | 'dataset' | 'space';
  /** Absolute path of its cache folder. */
  path: string;
  /** `refs/`: revision name -> commit. */
  refs: Record<string, string>;
  /** Snapshots, sorted by commit. */
  snapshots: CachedSnapshot[];
  /** Bytes on disk: complete blobs plus copied snapshot files. */
  sizeOnDisk: number;
  /** Bytes in unfinished downloads (`blobs/*.incomplete`); Raven's own are resumed by a later download. */
  incompleteBytes: number;
  /** The unfinished downloads, sorted by path. */
  partials: PartialFile[];
}

/** A partial file (or lock) written within this long (ms) may belong to a live download. */
const IN_USE_MS = 60_000;
const RAVEN_PARTIAL = '.raven.incomplete';

async function partialOf(blobs: string, name: string, size: number, mtimeMs: number): Promise<PartialFile> {
  const writer = name.endsWith(RAVEN_PARTIAL) ? 'raven' : 'other';
  const blob = writer === 'raven' ? name.slice(0, -RAVEN_PARTIAL.length) : name.split('.')[0]!;
  const now = Date.now();
  let inUse = now - mtimeMs < IN_USE_MS;
  if (!inUse && writer === 'raven') {
    // the holder of blobs/<etag>.lock touches it while it downloads
    inUse = await stat(join(blobs, `${blob}.lock`)).then((l) => now - l.mtimeMs < IN_USE_MS, () => false);
  }
  return { path: join(blobs, name), blob, size, modified: new Date(mtimeMs), writer, inUse };
}

const PREFIXES: Array<[string, CachedRepo['repoType']]> = [
  ['models--', 'model'],
  ['datasets--', 'dataset'],
  ['spaces--', 'space'],
];

async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

/** Files under `dir` (recursively, not following links), as paths relative to it with `/`. */
async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of await list(dir)) {
    const full = join(dir, name);
    const st = await lstat(full);
    if (st.isDirectory()) out.push(...(await walk(full, `${prefix}${name}/`)));
    else out.push(`${prefix}${name}`);
  }
  return out;
}

async function readRepo(path: string, repoId: string, repoType: CachedRepo['repoType']): Promise<CachedRepo> {
  const refs: Record<string, string> = {};
  for (const name of await walk(join(path, 'refs'))) {
    refs[name] = (await readFile(join(path, 'refs', name), 'utf8')).trim();
  }
  let sizeOnDisk = 0;
  let incompleteBytes = 0;
  const partials: PartialFile[] = [];
  const blobs = join(path, 'blobs');
  for (const name of await list(blobs)) {
    const st = await lstat(join(blobs, name)).catch(() => undefined); // a download may just have finished
    if (st === undefined || !st.isFile() || name.endsWith('.lock')) continue;
    if (name.endsWith('.incomplete')) {
      incompleteBytes += st.size;
      partials.push(await partialOf(blobs, name, st.size, st.mtimeMs));
    } else sizeOnDisk += st.size;
  }
  const snapshots: CachedSnapshot[] = [];
  for (const commit of await list(join(path, 'snapshots'))) {
    const root = join(path, 'snapshots', commit);
    if (!(await lstat(root)).isDirectory()) continue;
    const files: CachedFile[] = [];
    for (const rel of await walk(root)) {
      const localPath = join(root, ...rel.split('/'));
      const st = await lstat(localPath);
      let blob: string | undefined;
      let size = st.size;
      if (st.isSymbolicLink()) {
        blob = basename(await readlink(localPath));
        size = await stat(localPath).then(
          (s) => s.size,
          () => 0,
        );
      } else sizeOnDisk += st.size;
      files.push({ path: rel, size, blob, localPath });
    }
    const names = Object.keys(refs).filter((r) => refs[r] === commit);
    snapshots.push({ commit, refs: names, files });
  }
  return { repoId, repoType, path, refs, snapshots, sizeOnDisk, incompleteBytes, partials };
}

/**
 * Lists the repositories in the cache with their refs, snapshots, files and sizes.
 * @param options - `cacheDir`: cache root, default `cacheRoot()`.
 * @returns Repositories sorted by folder name; an empty list when the cache does not exist.
 * @example
 * ```ts
 * for (const repo of await listCache()) console.log(repo.repoId, repo.sizeOnDisk);
 * ```
 */
export async function listCache(options: { cacheDir?: string } = {}): Promise<CachedRepo[]> {
  checkOptions('listCache', options, ['cacheDir']);
  const cacheDir = resolveHubConfig(options).cacheDir;
  const repos: CachedRepo[] = [];
  for (const name of await list(cacheDir)) {
    const kind = PREFIXES.find(([p]) => name.startsWith(p));
    const full = join(cacheDir, name);
    if (!kind || !(await lstat(full)).isDirectory()) continue;
    const repoId = name.slice(kind[0].length).split('--').join('/');
    repos.push(await readRepo(full, repoId, kind[1]));
  }
  return repos;
}

const CLEAR_KEYS: OptionKeys<ClearCacheOptions> = { cacheDir: true, modelId: true, incomplete: true };

/** What {@link clearCache} removed. */
export interface ClearCacheResult {
  /** Repository ids whose folders were removed. */
  removed: string[];
  /** Bytes freed (complete and incomplete blobs, and copies). */
  freedBytes: number;
  /** With `incomplete: true`: the partial files removed. */
  partialsRemoved: string[];
  /** With `incomplete: true`: the partial files left because a process may be writing them. */
  partialsInUse: string[];
}

/** Options of {@link clearCache}. */
export interface ClearCacheOptions {
  /** Cache root. Default `cacheRoot()`. */
  cacheDir?: string;
  /** Clear only this repository. */
  modelId?: string;
  /**
   * Remove only unfinished downloads (`blobs/*.incomplete`, Raven's and huggingface_hub's),
   * keeping complete files; partial files a process may be writing now (see
   * {@link PartialFile.inUse}) are left and listed in `partialsInUse`.
   */
  incomplete?: boolean;
}

/**
 * Deletes one repository's cache folder, or every repository folder of the cache; with
 * `incomplete: true`, only the unfinished downloads no process is writing.
 * Other files in the cache root are left alone.
 * @param options - See {@link ClearCacheOptions}.
 * @returns What was removed; nothing (no error) when the repository was not cached.
 * @throws {HubError} When `modelId` is not a valid repository id.
 * @example
 * ```ts
 * await clearCache({ modelId: 'google-bert/bert-base-uncased' });
 * const { partialsRemoved } = await clearCache({ incomplete: true });
 * ```
 */
export async function clearCache(options: ClearCacheOptions = {}): Promise<ClearCacheResult> {
  checkOptions('clearCache', options, CLEAR_KEYS);
  const repos = await listCache({ cacheDir: options.cacheDir });
  let targets = repos;
  if (options.modelId !== undefined) {
    const folder = repoFolderName(checkRepoId(options.modelId, 'clearCache'));
    targets = repos.filter((r) => basename(r.path) === folder);
  }
  let freedBytes = 0;
  if (options.incomplete === true) {
    const partialsRemoved: string[] = [];
    const partialsInUse: string[] = [];
    for (const p of targets.flatMap((r) => r.partials)) {
      if (p.inUse) {
        partialsInUse.push(p.path);
        continue;
      }
      await rm(p.path, { force: true });
      partialsRemoved.push(p.path);
      freedBytes += p.size;
    }
    return { removed: [], freedBytes, partialsRemoved, partialsInUse };
  }
  for (const repo of targets) {
    await rm(repo.path, { recursive: true, force: true });
    freedBytes += repo.sizeOnDisk + repo.incompleteBytes;
  }
  return { removed: targets.map((r) => r.repoId), freedBytes, partialsRemoved: [], partialsInUse: [] };
}
