/**
 * `pushToHub`: any model that can save itself in Hugging Face layout into a folder, published:
 * the repository created if needed (and the branch), the model saved into a temporary folder,
 * a model card added when there is none, the folder uploaded in one commit, the folder removed.
 * @module
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { type OptionKeys } from '@raven/nx/options';

import { HubError } from '../../errors.js';
import { apiConfig } from '../api/options.js';
import { exists } from '../cache.js';
import { createBranch } from '../repo/branch.js';
import { createRepo } from '../repo/create-repo.js';
import { listTreeWith } from '../repo/list-files.js';
import { COMMIT_KEYS, type CommitInfo } from '../upload/commit.js';
import { type UploadFolderOptions, uploadFolder } from '../upload/upload-folder.js';
import { type ModelCardData, modelCard } from './model-card.js';

/** Options of {@link pushToHub}. */
export interface PushToHubOptions extends Omit<UploadFolderOptions, 'pathInRepo' | 'allowPatterns' | 'ignorePatterns'> {
  /** Writes the model in Hugging Face layout into the (empty, temporary) folder it is given. */
  save: (dir: string) => unknown;
  /** Create the repository private (when it does not exist yet). Default: the Hub's default (public). */
  private?: boolean;
  /** What the model card says, when one is written (see {@link ModelCardData}). */
  modelCard?: ModelCardData;
  /** Title of the commit. Default `Upload model with kaun-hf`. */
  commitMessage?: string;
}

/** What {@link pushToHub} did: the commit, plus where the repository lives. */
export interface PushResult extends CommitInfo {
  /** The repository's page. */
  repoUrl: string;
}

/** @internal */
export const PUSH_KEYS: OptionKeys<PushToHubOptions> = {
  ...(({ operations: _o, commitMessage: _m, ...rest }) => rest)(COMMIT_KEYS),
  commitMessage: true,
  deletePatterns: true,
  save: true,
  private: true,
  modelCard: true,
};

/**
 * Publishes a model on the Hub, as transformers' `push_to_hub` does: `createRepo` (with
 * `existOk`), `createBranch` when `revision` names a branch that does not exist yet, then
 * `save(tmp)` into a fresh temporary folder, a `README.md` model card when the saved folder has
 * none and the branch has none either (an existing card is never replaced), `uploadFolder` of it
 * in one commit (files the branch already holds unchanged are left out), and the folder removed,
 * also when something failed.
 * @param repoId - `namespace/name`, or a bare `name` for the token owner's namespace.
 * @param options - See {@link PushToHubOptions}; `save` is required.
 * @returns The commit (see {@link CommitInfo}) and the repository's address; `repoId` is the full id.
 * @throws {OptionError} For an unknown option name.
 * @throws {AuthenticationError} Without a token, or when the Hub refuses it.
 * @throws {PermissionDeniedError} When the token may not write to that namespace.
 * @throws As `save`, {@link createRepo} and {@link uploadFolder}.
 * @example
 * ```ts
 * await pushToHub('my-org/spam-bert', {
 *   save: (dir) => Bert.savePretrained(dir, { model, vars, tokenizer }),
 *   modelCard: { baseModel: 'google-bert/bert-base-uncased', task: 'text-classification', metrics: { accuracy: 0.97 } },
 * });
 * ```
 */
export async function pushToHub(repoId: string, options: PushToHubOptions): Promise<PushResult> {
  return pushWith('pushToHub', repoId, options);
}

/** The keys of {@link PushToHubOptions} but `save`, for model-level wrappers. @internal */
export const PUSH_KEYS_BUT_SAVE: OptionKeys<Omit<PushToHubOptions, 'save'>> = (({ save: _s, ...rest }) => rest)(PUSH_KEYS);

/** {@link pushToHub} with the caller's name in messages. @internal */
export async function pushWith(where: string, repoId: string, options: PushToHubOptions): Promise<PushResult> {
  const config = apiConfig(where, options, PUSH_KEYS);
  const { save, private: isPrivate, modelCard: card, commitMessage, ...upload } = options;
  if (typeof save !== 'function') throw new HubError(`${where}: options.save must be a function (dir) => writes the model into dir`);
  const { token, endpoint, retry, timeoutMs, signal, dispatcher, offline } = upload;
  const api = { token, endpoint, retry, timeoutMs, signal, dispatcher, offline };
  const defined = Object.fromEntries(Object.entries(api).filter(([, v]) => v !== undefined));
  const repo = await createRepo(repoId, { ...defined, existOk: true, ...(isPrivate !== undefined ? { private: isPrivate } : {}) });
  const revision = upload.revision;
  if (revision !== undefined && revision !== 'main' && !revision.startsWith('refs/')) {
    await createBranch(repo.repoId, revision, { ...defined, existOk: true });
  }
  const dir = await mkdtemp(join(tmpdir(), 'kaun-hf-push-'));
  try {
    await save(dir);
    if (!(await exists(join(dir, 'README.md')))) {
      const remote = await listTreeWith(config, repo.repoId, { revision: revision ?? 'main', recursive: false }, where);
      if (!remote.some((e) => e.path === 'README.md')) await writeFile(join(dir, 'README.md'), modelCard(repo.repoId, card));
    }
    const info = await uploadFolder(dir, repo.repoId, { ...upload, commitMessage: commitMessage ?? 'Upload model with kaun-hf' });
    return { ...info, repoUrl: repo.url };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
