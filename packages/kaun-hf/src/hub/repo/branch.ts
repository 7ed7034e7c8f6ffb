/**
 * `createBranch` and `deleteBranch` (`POST`/`DELETE /api/models/{repo}/branch/{branch}`).
 * @module
 */
import { type OptionKeys } from '@raven/nx/options';

import { HubHttpError } from '../../errors.js';
import { API_KEYS, apiConfig, type HubApiOptions, requireToken } from '../api/options.js';
import { apiRequest, modelApiUrl } from '../api/request.js';
import { checkRepoId, safeSegments } from '../paths.js';

/** Options of {@link createBranch}. */
export interface CreateBranchOptions extends HubApiOptions {
  /** Branch, tag or commit the new branch starts from. Default: the head of the default branch. */
  revision?: string;
  /** Succeed when the branch exists already (409). Default false. */
  existOk?: boolean;
}

/** Options of {@link deleteBranch}. */
export type DeleteBranchOptions = HubApiOptions;

const CREATE_KEYS: OptionKeys<CreateBranchOptions> = { ...API_KEYS, revision: true, existOk: true };

/**
 * Creates a branch (huggingface_hub's `create_branch`).
 * @param repoId - `namespace/name`.
 * @param branch - The new branch's name.
 * @param options - See {@link CreateBranchOptions}.
 * @throws {OptionError} For an unknown option name.
 * @throws {UnsafePathError} For a branch name that is not a relative name (before any request).
 * @throws {ConflictError} When the branch exists and `existOk` is not set.
 * @throws {RevisionNotFoundError} When `revision` does not exist.
 * @throws {AuthenticationError} / {PermissionDeniedError} For a missing, refused or read-only token.
 * @example
 * ```ts
 * await createBranch('org/name', 'experiment', { existOk: true });
 * ```
 */
export async function createBranch(repoId: string, branch: string, options: CreateBranchOptions = {}): Promise<void> {
  const where = 'createBranch';
  const config = apiConfig(where, options, CREATE_KEYS);
  checkRepoId(repoId, where, '');
  safeSegments(branch, 'branch', where, 'argument');
  requireToken(config, where, `creating branch "${branch}"`);
  const json = options.revision !== undefined ? { startingPoint: options.revision } : {};
  try {
    await apiRequest(
      config,
      { method: 'POST', url: modelApiUrl(config, repoId, `/branch/${encodeURIComponent(branch)}`), json },
      { where, repoId, revision: options.revision ?? 'main', action: `create branch "${branch}" in "${repoId}"` },
    );
  } catch (err) {
    if (options.existOk && err instanceof HubHttpError && err.status === 409) return;
    throw err;
  }
}

/**
 * Deletes a branch (huggingface_hub's `delete_branch`).
 * @param repoId - `namespace/name`.
 * @param branch - The branch to delete.
 * @param options - See {@link HubApiOptions}.
 * @throws {OptionError} For an unknown option name.
 * @throws {RevisionNotFoundError} When there is no such branch.
 * @throws {AuthenticationError} / {PermissionDeniedError} For a missing, refused or read-only token.
 * @example
 * ```ts
 * await deleteBranch('org/name', 'experiment');
 * ```
 */
export async function deleteBranch(repoId: string, branch: string, options: DeleteBranchOptions = {}): Promise<void> {
  const where = 'deleteBranch';
  const config = apiConfig(where, options, API_KEYS);
  checkRepoId(repoId, where, '');
  safeSegments(branch, 'branch', where, 'argument');
  requireToken(config, where, `deleting branch "${branch}"`);
  await apiRequest(
    config,
    { method: 'DELETE', url: modelApiUrl(config, repoId, `/branch/${encodeURIComponent(branch)}`) },
    { where, repoId, revision: branch, action: `delete branch "${branch}" of "${repoId}"` },
  );
}
