/**
 * The Hub's preupload step (`POST /api/models/{repo}/preupload/{revision}`): for each file to
 * add, sent as path, size and its first 512 bytes, the Hub answers whether it goes through LFS
 * or inside the commit ("regular"), whether `.gitignore` excludes it, and the id of the file the
 * revision holds at that path (to leave unchanged files out).
 * @module
 */
import type { HubConfig } from '../config.js';
import { apiRequest, malformed, modelApiUrl, type ApiCall } from '../api/request.js';
import type { SourceHead } from './source.js';

/** One file's answer. */
export interface UploadMode {
  /** `'lfs'` or `'regular'`. */
  mode: 'lfs' | 'regular';
  /** Whether the repository's `.gitignore` excludes it (it is then left out of the commit). */
  shouldIgnore: boolean;
  /** Id of the file at that path in the revision (sha256 for LFS files, git blob sha1 otherwise), if any. */
  remoteOid: string | undefined;
}

/** Files per preupload request (huggingface_hub sends 256). */
const CHUNK = 256;

/**
 * Asks the upload mode of `files` (path -> size and sample). Empty files are always "regular"
 * (storage refuses empty objects), as huggingface_hub does.
 * @throws {HubHttpError} (and subclasses) for error answers; {@link HubError} for a malformed one.
 */
export async function fetchUploadModes(
  config: HubConfig,
  repoId: string,
  revision: string,
  files: ReadonlyArray<{ path: string; head: SourceHead }>,
  gitIgnore: string | undefined,
  where: string,
): Promise<Map<string, UploadMode>> {
  const call: ApiCall = { where, repoId, revision, action: `prepare the upload to "${repoId}" at "${revision}"` };
  const out = new Map<string, UploadMode>();
  for (let i = 0; i < files.length; i += CHUNK) {
    const chunk = files.slice(i, i + CHUNK);
    const json: Record<string, unknown> = {
      files: chunk.map((f) => ({
        path: f.path,
        sample: Buffer.from(f.head.sample).toString('base64'),
        size: f.head.size,
      })),
    };
    if (gitIgnore !== undefined) json['gitIgnore'] = gitIgnore;
    const { data } = await apiRequest<{ files?: unknown }>(
      config,
      { method: 'POST', url: modelApiUrl(config, repoId, `/preupload/${encodeURIComponent(revision)}`), json },
      call,
    );
    if (!Array.isArray(data?.files)) throw malformed(call, 'no "files" list');
    for (const raw of data.files as unknown[]) {
      const f = raw as { path?: unknown; uploadMode?: unknown; shouldIgnore?: unknown; oid?: unknown } | null;
      if (typeof f?.path !== 'string' || (f.uploadMode !== 'lfs' && f.uploadMode !== 'regular')) {
        throw malformed(call, `preupload entry ${JSON.stringify(raw)?.slice(0, 120)}`);
      }
      out.set(f.path, {
        mode: f.uploadMode,
        shouldIgnore: f.shouldIgnore === true,
        remoteOid: typeof f.oid === 'string' && f.oid !== '' ? f.oid : undefined,
      });
    }
  }
  for (const f of files) {
    const mode = out.get(f.path);
    if (mode === undefined) throw malformed(call, `no answer for "${f.path}"`);
    if (f.head.size === 0) mode.mode = 'regular';
  }
  return out;
}
