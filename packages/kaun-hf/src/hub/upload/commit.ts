/**
 * `createCommit`: one commit of added and deleted files, following the Hub's flow as
 * huggingface_hub does: preupload (LFS or regular, `.gitignore`, the id of the file already
 * there), sha256 of LFS files (streamed), the LFS batch API and transfers (skipping objects the
 * storage already holds), files whose bytes the revision already holds left out, then one
 * `POST /api/models/{repo}/commit/{revision}` whose body is NDJSON: a `header` line (summary,
 * description, `parentCommit`), `file` lines (base64 content), `lfsFile` lines (sha256 and
 * size), `deletedFile`/`deletedFolder` lines.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';

import { type OptionKeys } from '@raven/nx/options';

import { HubError } from '../../errors.js';
import type { HubConfig } from '../config.js';
import { API_KEYS, apiConfig, type HubApiOptions, requireToken } from '../api/options.js';
import { apiRequest, malformed, modelApiUrl, type ApiCall } from '../api/request.js';
import { checkRepoId, safeSegments } from '../paths.js';
import { mapPool } from '../pool.js';
import { repoInfoWith } from '../repo/repo-info.js';
import { postLfsBatch } from './lfs-batch.js';
import { uploadLfsObject } from './lfs-transfer.js';
import { type CommitOperation, checkPathInRepo } from './operations.js';
import { fetchUploadModes, type UploadMode } from './preupload.js';
import type { UploadProgress } from './progress.js';
import { hashSource, type SourceHead, sourceHead, uploadTimeoutMs } from './source.js';

/** Options of {@link createCommit}. */
export interface CreateCommitOptions extends HubApiOptions {
  /** What to add and delete. */
  operations: CommitOperation[];
  /** The commit's title (required, not empty). */
  commitMessage: string;
  /** The commit's longer description. Default none. */
  commitDescription?: string;
  /** Branch to commit to. Default `'main'`. */
  revision?: string;
  /**
   * The commit (40 hex digits) the branch must still point to; when it moved, the Hub refuses
   * the commit (412) instead of overwriting what was committed meanwhile.
   */
  parentCommit?: string;
  /** LFS files hashed and uploaded at once. Default 5 (huggingface_hub's `num_threads`). */
  concurrency?: number;
  /** Progress per file: hashing, uploading, unchanged, already stored. */
  onProgress?: (progress: UploadProgress) => void;
}

/** What a commit did. */
export interface CommitInfo {
  /** Repository id. */
  repoId: string;
  /** The commit's page, e.g. `https://huggingface.co/org/name/commit/<oid>`. */
  commitUrl: string;
  /** The commit id (40 hex digits): the new commit, or the branch head when nothing changed. */
  oid: string;
  /** Title given. */
  commitMessage: string;
  /** Description given (empty when none). */
  commitDescription: string;
  /** `false` when every file was already on the branch unchanged and no commit was made (as huggingface_hub). */
  committed: boolean;
  /** Paths added or replaced by the commit. */
  added: string[];
  /** Paths (files and folders) deleted by the commit. */
  deleted: string[];
  /** Paths left out because the branch already holds these exact bytes there. */
  unchanged: string[];
  /** Paths of LFS files whose bytes were sent to storage (others were stored already). */
  uploaded: string[];
}

/** @internal */
export const COMMIT_KEYS: OptionKeys<CreateCommitOptions> = {
  ...API_KEYS,
  operations: true,
  commitMessage: true,
  commitDescription: true,
  revision: true,
  parentCommit: true,
  concurrency: true,
  onProgress: true,
};

interface Add {
  path: string;
  source: string | Uint8Array;
  head: SourceHead;
  mode?: UploadMode;
  sha256?: string;
}

interface Del {
  path: string;
  isFolder: boolean;
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** The NDJSON lines of the commit, produced one by one (a regular file is read only when its line is due). */
async function* commitLines(message: string, description: string, parent: string | undefined, adds: Add[], dels: Del[]): AsyncGenerator<string> {
  yield `${JSON.stringify({
    key: 'header',
    value: { summary: message, description, ...(parent !== undefined ? { parentCommit: parent } : {}) },
  })}\n`;
  for (const d of dels) yield `${JSON.stringify({ key: d.isFolder ? 'deletedFolder' : 'deletedFile', value: { path: d.path } })}\n`;
  for (const a of adds) {
    if (a.mode?.mode === 'lfs') {
      yield `${JSON.stringify({ key: 'lfsFile', value: { path: a.path, algo: 'sha256', oid: a.sha256, size: a.head.size } })}\n`;
    } else {
      const bytes = typeof a.source === 'string' ? await readFile(a.source) : a.source;
      yield `${JSON.stringify({ key: 'file', value: { content: b64(bytes), path: a.path, encoding: 'base64' } })}\n`;
    }
  }
}

/** {@link createCommit} with the public function's name, after the options were checked. @internal */
export async function commitWith(config: HubConfig, repoId: string, options: CreateCommitOptions, where: string): Promise<CommitInfo> {
  checkRepoId(repoId, where, '');
  const revision = options.revision ?? 'main';
  safeSegments(revision, 'revision', where, 'argument');
  if (typeof options.commitMessage !== 'string' || options.commitMessage.trim() === '') {
    throw new HubError(`${where}: commitMessage must be a non-empty string, got ${JSON.stringify(options.commitMessage)}`);
  }
  if (options.parentCommit !== undefined && !/^[0-9a-f]{40}$/.test(options.parentCommit)) {
    throw new HubError(`${where}: parentCommit must be a commit id of 40 hex digits, got ${JSON.stringify(options.parentCommit)}`);
  }
  if (!Array.isArray(options.operations)) throw new HubError(`${where}: operations must be a list of {kind: 'add' | 'delete', ...}`);
  const concurrency = options.concurrency ?? 5;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new HubError(`${where}: concurrency must be an integer >= 1, got ${concurrency}`);
  const description = options.commitDescription ?? '';
  const report = options.onProgress;

  const adds: Add[] = [];
  const dels: Del[] = [];
  for (const op of options.operations) {
    if (op?.kind === 'add') {
      if (typeof op.source !== 'string' && !(op.source instanceof Uint8Array)) {
        throw new HubError(`${where}: the source of "${op.pathInRepo}" must be a file path or a Uint8Array`);
      }
      adds.push({ path: checkPathInRepo(op.pathInRepo, where), source: op.source, head: { size: 0, sample: new Uint8Array() } });
    } else if (op?.kind === 'delete') {
      dels.push({ path: checkPathInRepo(op.pathInRepo, where), isFolder: op.isFolder ?? op.pathInRepo.endsWith('/') });
    } else {
      throw new HubError(`${where}: unknown operation ${JSON.stringify(op)}; expected {kind: 'add', pathInRepo, source} or {kind: 'delete', pathInRepo}`);
    }
  }
  const seen = new Set<string>();
  for (const a of adds) {
    if (seen.has(a.path)) throw new HubError(`${where}: "${a.path}" is added twice in one commit`);
    seen.add(a.path);
  }
  requireToken(config, where, `committing to "${repoId}"`);
  for (const a of adds) a.head = await sourceHead(a.source, where);

  // 1. preupload: LFS or regular, .gitignore, the id of what the branch holds now
  if (adds.length > 0) {
    const ignore = adds.find((a) => a.path === '.gitignore');
    const gitIgnore = ignore === undefined ? undefined : (typeof ignore.source === 'string' ? await readFile(ignore.source, 'utf8') : Buffer.from(ignore.source).toString('utf8'));
    const modes = await fetchUploadModes(config, repoId, revision, adds.map((a) => ({ path: a.path, head: a.head })), gitIgnore, where);
    for (const a of adds) a.mode = modes.get(a.path);
  }
  const kept = adds.filter((a) => !a.mode?.shouldIgnore);

  // 2. hashes: sha256 of LFS files; git sha1 of regular files the branch already has
  const unchanged: string[] = [];
  await mapPool(kept, concurrency, async (a) => {
    const lfs = a.mode?.mode === 'lfs';
    if (!lfs && a.mode?.remoteOid === undefined) return;
    const { sha256, gitSha1 } = await hashSource(a.source, a.head.size, {
      sha256: lfs,
      gitSha1: !lfs,
      where,
      onBytes: lfs ? (bytes) => report?.({ repoId, pathInRepo: a.path, phase: 'hashing', bytes, total: a.head.size, done: false }) : undefined,
    });
    if (lfs) {
      a.sha256 = sha256;
      report?.({ repoId, pathInRepo: a.path, phase: 'hashing', bytes: a.head.size, total: a.head.size, done: true });
    }
    if ((lfs ? sha256 : gitSha1) === a.mode?.remoteOid) {
      unchanged.push(a.path);
      report?.({ repoId, pathInRepo: a.path, phase: 'unchanged', bytes: a.head.size, total: a.head.size, done: true });
    }
  });
  const toCommit = kept.filter((a) => !unchanged.includes(a.path));
  const addedPaths = new Set(toCommit.map((a) => a.path));
  const deletes = dels.filter((d) => !addedPaths.has(d.path));

  // 3. LFS: batch, then transfers of the objects storage does not hold yet
  const lfsAdds = toCommit.filter((a) => a.mode?.mode === 'lfs');
  const uploaded: string[] = [];
  if (lfsAdds.length > 0) {
    const unique = [...new Map(lfsAdds.map((a) => [a.sha256 as string, a])).values()];
    const actions = await postLfsBatch(config, repoId, revision, unique.map((a) => ({ oid: a.sha256 as string, size: a.head.size, path: a.path })), where);
    const byOid = new Map(actions.map((x) => [x.oid, x]));
    await mapPool(unique, concurrency, async (a) => {
      const action = byOid.get(a.sha256 as string);
      if (action === undefined) throw malformed({ where, repoId, action: 'upload' }, `no LFS instructions for "${a.path}"`);
      if (action.upload === undefined) {
        report?.({ repoId, pathInRepo: a.path, phase: 'stored', bytes: a.head.size, total: a.head.size, done: true });
        return;
      }
      report?.({ repoId, pathInRepo: a.path, phase: 'uploading', bytes: 0, total: a.head.size, done: false });
      await uploadLfsObject(config, { pathInRepo: a.path, source: a.source, size: a.head.size, oid: a.sha256 as string }, action, {
        where,
        repoId,
        onBytes: (bytes) => report?.({ repoId, pathInRepo: a.path, phase: 'uploading', bytes, total: a.head.size, done: false }),
      });
      uploaded.push(a.path);
      report?.({ repoId, pathInRepo: a.path, phase: 'uploading', bytes: a.head.size, total: a.head.size, done: true });
    });
  }

  const base = {
    repoId,
    commitMessage: options.commitMessage,
    commitDescription: description,
    unchanged: unchanged.sort(),
    uploaded: uploaded.sort(),
  };
  // 4. nothing changed: no empty commit; the branch head is the answer (as huggingface_hub)
  if (toCommit.length === 0 && deletes.length === 0) {
    const info = await repoInfoWith(config, repoId, revision, where);
    return { ...base, commitUrl: `${config.endpoint}/${repoId}/commit/${info.sha}`, oid: info.sha, committed: false, added: [], deleted: [] };
  }

  // 5. the commit, streamed as NDJSON, sent once
  const call: ApiCall = { where, repoId, revision, action: `commit to "${repoId}" at "${revision}"` };
  const inline = toCommit.filter((a) => a.mode?.mode !== 'lfs').reduce((n, a) => n + Math.ceil(a.head.size / 3) * 4, 0);
  const { data } = await apiRequest<{ commitUrl?: unknown; commitOid?: unknown }>(
    { ...config, timeoutMs: uploadTimeoutMs(config.timeoutMs, inline) },
    {
      method: 'POST',
      url: modelApiUrl(config, repoId, `/commit/${encodeURIComponent(revision)}`),
      headers: { 'content-type': 'application/x-ndjson' },
      body: () => Readable.from(commitLines(options.commitMessage, description, options.parentCommit, toCommit, deletes)),
      retry: false,
    },
    call,
  );
  if (typeof data?.commitOid !== 'string' || typeof data.commitUrl !== 'string') throw malformed(call, 'no commitOid/commitUrl');
  return {
    ...base,
    commitUrl: data.commitUrl,
    oid: data.commitOid,
    committed: true,
    added: toCommit.map((a) => a.path),
    deleted: deletes.map((d) => d.path),
  };
}

/**
 * Makes one commit on a branch: adds (from local files or bytes) and deletions, following the
 * Hub's protocol as huggingface_hub's `create_commit` does. Large files go to LFS storage,
 * hashed and sent as streams (memory stays flat with multi-GB files); files the branch already
 * holds byte for byte are left out; objects the storage already holds are not sent again (so
 * running an interrupted upload again sends only what is missing). The commit request itself is
 * never retried (a lost answer could apply it twice).
 * @param repoId - `namespace/name`.
 * @param options - See {@link CreateCommitOptions}.
 * @returns See {@link CommitInfo}.
 * @throws {OptionError} For an unknown option name.
 * @throws {UnsafePathError} For a path in the repository that is absolute, has `..`, or is under `.git/` (before any request).
 * @throws {AuthenticationError} Without a token, or when the Hub refuses it (401).
 * @throws {PermissionDeniedError} When the token may not write to the repository (403).
 * @throws {RepositoryNotFoundError} / {RevisionNotFoundError} When the repository or branch does not exist.
 * @throws {ConflictError} When `parentCommit` is no longer the branch head (412).
 * @throws {EntryNotFoundError} When a file to delete does not exist.
 * @throws {HubHttpError} For other refusals; {@link NetworkError} when the Hub cannot be reached.
 * @example
 * ```ts
 * const info = await createCommit('org/name', {
 *   commitMessage: 'Replace the weights',
 *   operations: [
 *     { kind: 'add', pathInRepo: 'model.safetensors', source: 'out/model.safetensors' },
 *     { kind: 'delete', pathInRepo: 'pytorch_model.bin' },
 *   ],
 * });
 * console.log(info.commitUrl);
 * ```
 */
export async function createCommit(repoId: string, options: CreateCommitOptions): Promise<CommitInfo> {
  const config = apiConfig('createCommit', options, COMMIT_KEYS);
  return commitWith(config, repoId, options, 'createCommit');
}
