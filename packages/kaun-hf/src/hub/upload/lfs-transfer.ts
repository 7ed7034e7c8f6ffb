/**
 * Sending one LFS object to storage as the Hub instructs: a `basic` transfer (one `PUT` of the
 * whole file to a presigned address) or a `multipart` one (`header.chunk_size` and numbered part
 * addresses: each part `PUT` with its own retries, its `ETag` kept, then a completion `POST` of
 * `{oid, parts: [{partNumber, etag}]}`), then the verify call when asked. Bodies are streamed
 * from the file (memory stays flat); storage requests carry no token.
 * @module
 */
import { Readable } from 'node:stream';

import { HubHttpError } from '../../errors.js';
import type { HubConfig } from '../config.js';
import { headerValue, type HttpResponse, sendFollowing } from '../http.js';
import { apiRequest, malformed, type ApiCall } from '../api/request.js';
import type { LfsObjectActions } from './lfs-batch.js';
import { sourceStream, uploadTimeoutMs } from './source.js';

/** One object to send. */
export interface LfsUpload {
  /** Path in the repository (messages, progress). */
  pathInRepo: string;
  /** The local file or bytes. */
  source: string | Uint8Array;
  /** Its size. */
  size: number;
  /** Its sha256. */
  oid: string;
}

/** Function name, repository and the progress callback (bytes sent so far). */
export interface TransferCall {
  where: string;
  repoId: string;
  onBytes?: (bytes: number) => void;
}

async function storageFailure(res: HttpResponse, what: string, call: TransferCall): Promise<HubHttpError> {
  const body = (await res.body.text().catch(() => '')).slice(0, 300);
  return new HubHttpError(
    `${call.where}: storage refused ${what} for "${call.repoId}" (HTTP ${res.status} for ${res.url}); ` +
      `the upload address may have expired: run the upload again (files already sent are not sent again)` +
      `${body ? `; server said: ${body}` : ''}`,
    { status: res.status, url: res.url, ...(body ? { serverMessage: body } : {}) },
  );
}

/** PUTs bytes `[start, end)` of the source to `url` (no token, retried), counting bytes read into `count`. */
async function putRange(
  storage: HubConfig,
  url: string,
  up: LfsUpload,
  start: number,
  end: number,
  count: (delta: number, restart: boolean) => void,
  call: TransferCall,
): Promise<HttpResponse> {
  let attempt = 0;
  const body = (): Readable => {
    count(0, attempt++ > 0);
    const stream = sourceStream(up.source, start, end);
    async function* counted(): AsyncGenerator<Buffer> {
      for await (const chunk of stream) {
        count((chunk as Buffer).length, false);
        yield chunk as Buffer;
      }
    }
    return Readable.from(counted(), { objectMode: false });
  };
  return sendFollowing(
    'PUT',
    url,
    { 'content-length': String(end - start), 'content-type': 'application/octet-stream' },
    { ...storage, timeoutMs: uploadTimeoutMs(storage.timeoutMs, end - start) },
    { where: call.where, retryUnreachable: true, relativeOnly: false },
    body,
  );
}

/** The numbered part addresses of a multipart instruction, in order. */
function partUrls(header: Record<string, string>, size: number, chunkSize: number, call: ApiCall): string[] {
  const parts = Object.entries(header)
    .filter(([k]) => /^\d+$/.test(k))
    .map(([k, v]) => [Number(k), v] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, v]) => v);
  if (parts.length !== Math.ceil(size / chunkSize)) {
    throw malformed(call, `${parts.length} part addresses for ${size} bytes in chunks of ${chunkSize}`);
  }
  return parts;
}

/**
 * Uploads one object following `actions` (nothing when there is no `upload` action).
 * @throws {HubHttpError} When storage or the Hub refuses a request after retries.
 * @throws {HubError} For malformed instructions.
 */
export async function uploadLfsObject(
  config: HubConfig,
  up: LfsUpload,
  actions: LfsObjectActions,
  call: TransferCall,
): Promise<void> {
  const upload = actions.upload;
  if (upload === undefined) return;
  const storage: HubConfig = { ...config, token: undefined };
  const api: ApiCall = { where: call.where, repoId: call.repoId, action: `upload "${up.pathInRepo}"` };
  let partStart = 0;
  let sentBefore = 0;
  let inPart = 0;
  const count = (delta: number, restart: boolean): void => {
    if (restart) inPart = 0;
    inPart += delta;
    call.onBytes?.(Math.min(up.size, sentBefore + inPart));
  };
  const chunkRaw = upload.header['chunk_size'];
  if (chunkRaw === undefined) {
    const res = await putRange(storage, upload.href, up, 0, up.size, count, call);
    if (res.status >= 300) throw await storageFailure(res, `"${up.pathInRepo}"`, call);
    await res.body.dump().catch(() => undefined);
  } else {
    const chunkSize = Number(chunkRaw);
    if (!Number.isInteger(chunkSize) || chunkSize <= 0) throw malformed(api, `chunk_size ${JSON.stringify(chunkRaw)}`);
    const urls = partUrls(upload.header, up.size, chunkSize, api);
    const parts: Array<{ partNumber: number; etag: string }> = [];
    for (let i = 0; i < urls.length; i++) {
      partStart = i * chunkSize;
      sentBefore = partStart;
      inPart = 0;
      const end = Math.min(up.size, partStart + chunkSize);
      const res = await putRange(storage, urls[i] as string, up, partStart, end, count, call);
      if (res.status >= 300) throw await storageFailure(res, `part ${i + 1} of ${urls.length} of "${up.pathInRepo}"`, call);
      await res.body.dump().catch(() => undefined);
      const etag = headerValue(res.headers, 'etag');
      if (!etag) throw malformed(api, `no ETag for part ${i + 1} of ${urls.length}`);
      parts.push({ partNumber: i + 1, etag });
    }
    await apiRequest(
      storage,
      {
        method: 'POST',
        url: upload.href,
        headers: { accept: 'application/vnd.git-lfs+json', 'content-type': 'application/vnd.git-lfs+json' },
        json: { oid: up.oid, parts },
      },
      { ...api, action: `complete the multipart upload of "${up.pathInRepo}"` },
    );
  }
  if (actions.verify !== undefined) {
    await apiRequest(
      config,
      { method: 'POST', url: actions.verify.href, json: { oid: up.oid, size: up.size } },
      { ...api, action: `verify the upload of "${up.pathInRepo}"` },
    );
  }
}
