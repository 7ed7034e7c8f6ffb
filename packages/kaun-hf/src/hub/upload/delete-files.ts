/**
 * `deleteFile` and `deleteFiles`: commits that remove files (or folders) from a branch.
 * @module
 */
import { type OptionKeys } from '@raven/nx/options';

import { EntryNotFoundError } from '../../errors.js';
import { apiConfig } from '../api/options.js';
import { listTreeWith } from '../repo/list-files.js';
import { COMMIT_KEYS, type CommitInfo, type CreateCommitOptions, commitWith } from './commit.js';
import { type CommitOperation, checkPathInRepo } from './operations.js';
import { filterPaths } from './patterns.js';

/** Options of {@link deleteFile} and {@link deleteFiles}. */
export interface DeleteFilesOptions extends Omit<CreateCommitOptions, 'operations' | 'commitMessage'> {
  /** The commit's title. Default `Delete {path} with kaun-hf` / `Delete files using kaun-hf`. */
  commitMessage?: string;
}

const KEYS: OptionKeys<DeleteFilesOptions> = {
  ...(({ operations: _o, commitMessage: _m, ...rest }) => rest)(COMMIT_KEYS),
  commitMessage: true,
};

/**
 * Deletes one file (or, with a trailing `/`, a folder) from a branch in one commit
 * (huggingface_hub's `delete_file`/`delete_folder`).
 * @param repoId - `namespace/name`.
 * @param pathInRepo - The file, or `folder/` for a folder.
 * @param options - See {@link DeleteFilesOptions}.
 * @returns See {@link CommitInfo}.
 * @throws {EntryNotFoundError} When there is no such file.
 * @throws As {@link createCommit}.
 * @example
 * ```ts
 * await deleteFile('org/name', 'pytorch_model.bin');
 * ```
 */
export async function deleteFile(repoId: string, pathInRepo: string, options: DeleteFilesOptions = {}): Promise<CommitInfo> {
  const where = 'deleteFile';
  const config = apiConfig(where, options, KEYS);
  const path = checkPathInRepo(pathInRepo, where);
  const isFolder = pathInRepo.endsWith('/');
  const { commitMessage, ...rest } = options;
  return commitWith(
    config,
    repoId,
    { ...rest, commitMessage: commitMessage ?? `Delete ${path} with kaun-hf`, operations: [{ kind: 'delete', pathInRepo: path, isFolder }] },
    where,
  );
}

/**
 * Deletes every file of a branch that matches one of `patterns` in one commit (huggingface_hub's
 * `delete_files`): a pattern is an exact path, an fnmatch pattern (`*.bin`, `logs/*`; `*`
 * matches `/` too) or a folder ending in `/`.
 * @param repoId - `namespace/name`.
 * @param patterns - Paths, patterns or folders.
 * @param options - See {@link DeleteFilesOptions}.
 * @returns See {@link CommitInfo}.
 * @throws {EntryNotFoundError} When nothing on the branch matches (no commit is made).
 * @throws As {@link createCommit}.
 * @example
 * ```ts
 * await deleteFiles('org/name', ['*.bin', 'logs/']);
 * ```
 */
export async function deleteFiles(repoId: string, patterns: string[], options: DeleteFilesOptions = {}): Promise<CommitInfo> {
  const where = 'deleteFiles';
  const config = apiConfig(where, options, KEYS);
  const { commitMessage, ...rest } = options;
  const revision = rest.revision ?? 'main';
  const folders = patterns.filter((p) => p.endsWith('/')).map((p) => checkPathInRepo(p, where));
  const files = patterns.filter((p) => !p.endsWith('/'));
  const remote = (await listTreeWith(config, repoId, { revision, recursive: true }, where)).filter((e) => e.type === 'file').map((e) => e.path);
  const matched = filterPaths(remote, files, undefined).filter((p) => !folders.some((f) => p.startsWith(`${f}/`)));
  const presentFolders = folders.filter((f) => remote.some((p) => p.startsWith(`${f}/`)));
  if (matched.length === 0 && presentFolders.length === 0) {
    throw new EntryNotFoundError(`${where}: nothing in "${repoId}" at "${revision}" matches ${JSON.stringify(patterns)}; no commit was made`);
  }
  const operations: CommitOperation[] = [
    ...presentFolders.map((f) => ({ kind: 'delete' as const, pathInRepo: f, isFolder: true })),
    ...matched.map((p) => ({ kind: 'delete' as const, pathInRepo: p, isFolder: false })),
  ];
  return commitWith(config, repoId, { ...rest, commitMessage: commitMessage ?? 'Delete files using kaun-hf', operations }, where);
}
