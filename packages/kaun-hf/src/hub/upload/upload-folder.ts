/**
 * `uploadFolder`: a local folder (filtered by patterns) in one commit, optionally deleting
 * remote files that match `deletePatterns`.
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';

import { type OptionKeys } from '@raven/nx/options';

import { HubError } from '../../errors.js';
import type { HubConfig } from '../config.js';
import { apiConfig } from '../api/options.js';
import { listTreeWith } from '../repo/list-files.js';
import { COMMIT_KEYS, type CommitInfo, type CreateCommitOptions, commitWith } from './commit.js';
import { type CommitOperation, checkPathInRepo } from './operations.js';
import { DEFAULT_IGNORE_PATTERNS, filterPaths, patternList } from './patterns.js';

/** Options of {@link uploadFolder}. */
export interface UploadFolderOptions extends Omit<CreateCommitOptions, 'operations' | 'commitMessage'> {
  /** Folder in the repository to upload into. Default: the root. */
  pathInRepo?: string;
  /** The commit's title. Default `Upload folder using kaun-hf`. */
  commitMessage?: string;
  /** Upload only files matching one of these (paths relative to the folder; `*` matches `/` too; `dir/` a folder). */
  allowPatterns?: string | string[];
  /** Leave out files matching one of these (`.git/` and `.cache/huggingface/` are always left out). */
  ignorePatterns?: string | string[];
  /**
   * Delete remote files under `pathInRepo` matching one of these in the same commit (files that
   * are uploaded again are replaced, not deleted; `.gitattributes` is never deleted). Example:
   * `'*.safetensors'` to drop shards an earlier, larger upload left.
   */
  deletePatterns?: string | string[];
}

const KEYS: OptionKeys<UploadFolderOptions> = {
  ...(({ operations: _o, commitMessage: _m, ...rest }) => rest)(COMMIT_KEYS),
  pathInRepo: true,
  commitMessage: true,
  allowPatterns: true,
  ignorePatterns: true,
  deletePatterns: true,
};

/** Every file under `dir` (following no links out of it), as `/`-separated paths relative to it, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() || (entry.isSymbolicLink() && (await stat(full).then((s) => s.isFile(), () => false)))) {
        out.push(relative(dir, full).split(sep).join('/'));
      }
    }
  };
  await walk(dir);
  return out.sort();
}

/** The delete operations of `deletePatterns`: remote files under `prefix` that match. */
async function deletions(config: HubConfig, repoId: string, revision: string, prefix: string, patterns: string[], where: string): Promise<CommitOperation[]> {
  const remote = (await listTreeWith(config, repoId, { revision, recursive: true }, where))
    .filter((e) => e.type === 'file')
    .map((e) => e.path);
  const under = prefix === '' ? remote : remote.filter((p) => p.startsWith(`${prefix}/`));
  const rel = under.map((p) => (prefix === '' ? p : p.slice(prefix.length + 1)));
  return filterPaths(rel, patterns, undefined)
    .map((r) => (prefix === '' ? r : `${prefix}/${r}`))
    .filter((p) => p !== '.gitattributes')
    .map((p) => ({ kind: 'delete' as const, pathInRepo: p, isFolder: false }));
}

/**
 * Uploads a local folder to a branch in one commit (huggingface_hub's `upload_folder`): every
 * file under it that `allowPatterns`/`ignorePatterns` keep, placed under `pathInRepo`; remote
 * files matching `deletePatterns` deleted in the same commit. Files the branch already holds
 * unchanged are left out, and LFS objects storage already holds are not sent again. See
 * {@link createCommit} for the protocol.
 * @param folder - The local folder.
 * @param repoId - `namespace/name`.
 * @param options - See {@link UploadFolderOptions}.
 * @returns See {@link CommitInfo}.
 * @throws {HubError} When `folder` is not a folder (before any request).
 * @throws As {@link createCommit}.
 * @example
 * ```ts
 * await Bert.savePretrained('out/spam-bert', { model, vars, tokenizer });
 * const info = await uploadFolder('out/spam-bert', 'my-org/spam-bert', { commitMessage: 'Fine-tuned on spam' });
 * ```
 */
export async function uploadFolder(folder: string, repoId: string, options: UploadFolderOptions = {}): Promise<CommitInfo> {
  const where = 'uploadFolder';
  const config = apiConfig(where, options, KEYS);
  const root = resolve(folder);
  const st = await stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new HubError(`${where}: no such folder: ${folder} (${root})`);
  const { pathInRepo, commitMessage, allowPatterns, ignorePatterns, deletePatterns, ...rest } = options;
  const prefix = pathInRepo === undefined || pathInRepo.replace(/^[./]+$/, '') === '' ? '' : checkPathInRepo(pathInRepo, where);
  const ignore = [...(patternList(ignorePatterns) ?? []), ...DEFAULT_IGNORE_PATTERNS];
  const files = filterPaths(await filesUnder(root), patternList(allowPatterns), ignore);
  const adds: CommitOperation[] = files.map((rel) => ({
    kind: 'add',
    pathInRepo: prefix === '' ? rel : `${prefix}/${rel}`,
    source: join(root, ...rel.split('/')),
  }));
  const del = patternList(deletePatterns);
  let dels: CommitOperation[] = [];
  if (del !== undefined) {
    const added = new Set(adds.map((a) => a.pathInRepo));
    dels = (await deletions(config, repoId, rest.revision ?? 'main', prefix, del, where)).filter((d) => !added.has(d.pathInRepo));
  }
  return commitWith(config, repoId, { ...rest, commitMessage: commitMessage ?? 'Upload folder using kaun-hf', operations: [...dels, ...adds] }, where);
}
