/**
 * The Git LFS batch API as the Hub serves it (`POST {endpoint}/{repo}.git/info/lfs/objects/batch`,
 * `application/vnd.git-lfs+json`): for each object (sha256 and size) the Hub answers where to
 * upload it (`actions.upload`, with `header.chunk_size` and numbered part addresses for a
 * multipart transfer), where to confirm it (`actions.verify`), or nothing when its storage
 * already holds it.
 * @module
 */
import { HubError } from '../../errors.js';
import type { HubConfig } from '../config.js';
import { apiRequest, malformed, type ApiCall } from '../api/request.js';

/** An address to call, with the headers the server asks for. */
export interface LfsAction {
  /** Address. */
  href: string;
  /** Headers; for a multipart upload `chunk_size` and the part addresses `"1"`, `"2"`, ... */
  header: Record<string, string>;
}

/** The server's instructions for one object. */
export interface LfsObjectActions {
  /** sha256 of the content. */
  oid: string;
  /** Size of the content. */
  size: number;
  /** Where to upload; absent when the storage already holds the object. */
  upload?: LfsAction;
  /** Where to confirm the upload, if the server asks for it. */
  verify?: LfsAction;
}

/** Objects per batch request (huggingface_hub sends up to 256). */
const CHUNK = 256;
const LFS_HEADERS = { accept: 'application/vnd.git-lfs+json', 'content-type': 'application/vnd.git-lfs+json' };

function parseAction(raw: unknown, call: ApiCall, oid: string): LfsAction | undefined {
  if (raw === undefined || raw === null) return undefined;
  const a = raw as { href?: unknown; header?: unknown };
  if (typeof a.href !== 'string' || (a.header !== undefined && a.header !== null && typeof a.header !== 'object')) {
    throw malformed(call, `LFS action for ${oid}`);
  }
  const header: Record<string, string> = {};
  for (const [k, v] of Object.entries((a.header ?? {}) as Record<string, unknown>)) header[k] = String(v);
  return { href: a.href, header };
}

/**
 * Asks the batch API for upload instructions for `objects` (`transfers: ["basic", "multipart"]`,
 * `hash_algo: sha256`, `ref` = the branch).
 * @throws {HubError} When the server reports an error for an object (listed), or answers malformed.
 * @throws {HubHttpError} (and subclasses) for error statuses.
 */
export async function postLfsBatch(
  config: HubConfig,
  repoId: string,
  revision: string,
  objects: ReadonlyArray<{ oid: string; size: number; path: string }>,
  where: string,
): Promise<LfsObjectActions[]> {
  const call: ApiCall = { where, repoId, revision, action: `prepare the LFS upload to "${repoId}"` };
  const out: LfsObjectActions[] = [];
  for (let i = 0; i < objects.length; i += CHUNK) {
    const chunk = objects.slice(i, i + CHUNK);
    const { data } = await apiRequest<{ objects?: unknown }>(
      config,
      {
        method: 'POST',
        url: `${config.endpoint}/${repoId}.git/info/lfs/objects/batch`,
        headers: LFS_HEADERS,
        json: {
          operation: 'upload',
          transfers: ['basic', 'multipart'],
          objects: chunk.map((o) => ({ oid: o.oid, size: o.size })),
          hash_algo: 'sha256',
          ref: { name: revision },
        },
      },
      call,
    );
    if (!Array.isArray(data?.objects)) throw malformed(call, 'no "objects" list');
    const errors: string[] = [];
    for (const raw of data.objects as unknown[]) {
      const o = raw as { oid?: unknown; size?: unknown; actions?: unknown; error?: unknown } | null;
      if (typeof o?.oid !== 'string' || typeof o.size !== 'number') throw malformed(call, 'LFS object without oid/size');
      if (o.error !== undefined) {
        const e = o.error as { code?: unknown; message?: unknown };
        const path = chunk.find((c) => c.oid === o.oid)?.path ?? o.oid;
        errors.push(`"${path}" (${o.oid}): ${String(e.message)} (code ${String(e.code)})`);
        continue;
      }
      const actions = (o.actions ?? {}) as { upload?: unknown; verify?: unknown };
      const upload = parseAction(actions.upload, call, o.oid);
      const verify = parseAction(actions.verify, call, o.oid);
      out.push({ oid: o.oid, size: o.size, ...(upload ? { upload } : {}), ...(verify ? { verify } : {}) });
    }
    if (errors.length > 0) {
      throw new HubError(`${where}: the Hub's LFS batch API refused ${errors.length} file(s): ${errors.join('; ')}`);
    }
  }
  return out;
}
