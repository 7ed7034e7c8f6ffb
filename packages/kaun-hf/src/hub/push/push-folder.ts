/**
 * Publishing a folder made by a save function: the repository created if needed (and the
 * branch), the folder written into a temporary directory, a model card added when there is none,
 * the folder uploaded in one commit, the directory removed. The public entry is `pushToHub`
 * (pretrained/push.ts), which adds the model families' save. Internal.
 * @module
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { HubError } from '../../errors.js';
import type { HubConfig } from '../config.js';
import { exists } from '../cache.js';
import { createBranch } from '../repo/branch.js';
import { createRepo } from '../repo/create-repo.js';
import { listTreeWith } from '../repo/list-files.js';
import type { CommitInfo } from '../upload/commit.js';
import { type UploadFolderOptions, uploadFolder } from '../upload/upload-folder.js';
import { type ModelCardData, modelCard } from './model-card.js';

/** The upload options of a push: those of `uploadFolder` that make sense for a whole model. */
export type PushUploadOptions = Omit<UploadFolderOptions, 'pathInRepo' | 'allowPatterns' | 'ignorePatterns'>;

/** What `pushToHub` did: the commit, plus where the repository lives. */
export interface PushResult extends CommitInfo {
  /** The repository's page. */
  repoUrl: string;
}

/** One push, after its options were checked. @internal */
export interface FolderPush {
  /** Writes the model in Hugging Face layout into the (empty, temporary) folder it is given. */
  save: (dir: string) => unknown;
  /** Create the repository private when it does not exist yet. */
  private?: boolean;
  /** The model card, when one is written. */
  card: ModelCardData;
  /** The upload's options (commit message included). */
  upload: PushUploadOptions;
}

/**
 * Pushes what `save` writes (transformers' `push_to_hub` flow): `createRepo` with `existOk`,
 * `createBranch` for a `revision` that is not there yet, `save(tmp)`, a `README.md` model card
 * when the saved folder has none and the branch has none either (an existing card is never
 * replaced), `uploadFolder` in one commit, the temporary folder removed, also on failure.
 * @internal
 */
export async function pushFolder(config: HubConfig, where: string, repoId: string, push: FolderPush): Promise<PushResult> {
  const { save, card, upload } = push;
  if (typeof save !== 'function') throw new HubError(`${where}: options.save must be a function (dir) => writes the model into dir`);
  const { token, endpoint, retry, timeoutMs, signal, dispatcher, offline } = upload;
  const api = Object.fromEntries(Object.entries({ token, endpoint, retry, timeoutMs, signal, dispatcher, offline }).filter(([, v]) => v !== undefined));
  const repo = await createRepo(repoId, { ...api, existOk: true, ...(push.private !== undefined ? { private: push.private } : {}) });
  const revision = upload.revision;
  if (revision !== undefined && revision !== 'main' && !revision.startsWith('refs/')) {
    await createBranch(repo.repoId, revision, { ...api, existOk: true });
  }
  const dir = await mkdtemp(join(tmpdir(), 'kaun-hf-push-'));
  try {
    await save(dir);
    if (!(await exists(join(dir, 'README.md')))) {
      const remote = await listTreeWith(config, repo.repoId, { revision: revision ?? 'main', recursive: false }, where);
      if (!remote.some((e) => e.path === 'README.md')) await writeFile(join(dir, 'README.md'), modelCard(repo.repoId, card));
    }
    const info = await uploadFolder(dir, repo.repoId, { ...upload, commitMessage: upload.commitMessage ?? 'Upload model with kaun-hf' });
    return { ...info, repoUrl: repo.url };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
