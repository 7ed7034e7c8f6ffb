/**
 * `uploadFile`: one file (a local path or bytes) in one commit.
 * @module
 */
import { type OptionKeys } from '@raven/nx/options';

import { apiConfig } from '../api/options.js';
import { COMMIT_KEYS, type CommitInfo, type CreateCommitOptions, commitWith } from './commit.js';
import { checkPathInRepo } from './operations.js';

/** Options of {@link uploadFile}. */
export interface UploadFileOptions extends Omit<CreateCommitOptions, 'operations' | 'commitMessage'> {
  /** A local file (streamed) or the bytes. */
  source: string | Uint8Array;
  /** Path in the repository (`config.json`, `weights/model.safetensors`). */
  pathInRepo: string;
  /** The commit's title. Default `Upload {pathInRepo} with kaun-hf`. */
  commitMessage?: string;
}

const KEYS: OptionKeys<UploadFileOptions> = {
  ...(({ operations: _o, commitMessage: _m, ...rest }) => rest)(COMMIT_KEYS),
  source: true,
  pathInRepo: true,
  commitMessage: true,
};

/**
 * Uploads one file to a branch in one commit (huggingface_hub's `upload_file`); see
 * {@link createCommit} for the protocol, retries and what is not sent again.
 * @param repoId - `namespace/name`.
 * @param options - See {@link UploadFileOptions}.
 * @returns See {@link CommitInfo}.
 * @throws As {@link createCommit}.
 * @example
 * ```ts
 * await uploadFile('org/name', { source: 'out/model.safetensors', pathInRepo: 'model.safetensors' });
 * ```
 */
export async function uploadFile(repoId: string, options: UploadFileOptions): Promise<CommitInfo> {
  const where = 'uploadFile';
  const config = apiConfig(where, options, KEYS);
  const { source, pathInRepo, commitMessage, ...rest } = options;
  const path = checkPathInRepo(pathInRepo, where);
  return commitWith(
    config,
    repoId,
    {
      ...rest,
      commitMessage: commitMessage ?? `Upload ${path} with kaun-hf`,
      operations: [{ kind: 'add', pathInRepo: path, source }],
    },
    where,
  );
}
