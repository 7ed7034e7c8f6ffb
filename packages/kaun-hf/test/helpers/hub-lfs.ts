/**
 * The fake Hub's LFS side (test helper): the batch API and verify/complete calls on the Hub,
 * presigned-style upload addresses on the storage host (the "CDN" port), basic and multipart
 * transfers. Uploaded objects are hashed as they arrive and kept in memory (small) or on disk
 * (large), so a multi-GB upload does not fill the test process's memory.
 * @module
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

import type { HubContext } from './hub-context.js';
import { bearer, errorReply, jsonReply, type LoggedRequest, parseJson, readBody } from './hub-http.js';
import { gitBlobSha, lfsPointer, type StoredBlob } from './hub-state.js';

/** Writes the request body to `file`, hashing it; destroys the socket after `cutAfter` bytes. */
async function receive(req: IncomingMessage, file: string, log: LoggedRequest, cutAfter: number | undefined, delayMs = 0): Promise<{ size: number; sha256: string; md5: string } | undefined> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  let size = 0;
  const out = createWriteStream(file);
  try {
    for await (const chunk of req) {
      const bytes = chunk as Buffer;
      if (cutAfter !== undefined && size + bytes.length >= cutAfter) {
        req.socket.destroy();
        return undefined;
      }
      size += bytes.length;
      log.bodyBytes = size;
      sha.update(bytes);
      md5.update(bytes);
      if (!out.write(bytes)) await new Promise<void>((r) => out.once('drain', () => r()));
      if (delayMs > 0) await new Promise<void>((r) => setTimeout(r, delayMs));
    }
  } catch {
    return undefined;
  } finally {
    await new Promise<void>((r) => out.end(() => r()));
  }
  if (req.readableAborted || (req as { aborted?: boolean }).aborted) return undefined;
  return { size, sha256: sha.digest('hex'), md5: md5.digest('hex') };
}

/** Stores a complete, verified object under its sha256. */
async function store(ctx: HubContext, oid: string, size: number, file: string): Promise<void> {
  const blob: StoredBlob = { size, sha256: oid, gitSha1: gitBlobSha(lfsPointer(oid, size)), lfs: true };
  if (size <= ctx.memoryLimit) {
    blob.bytes = await readFile(file);
    await rm(file, { force: true });
  } else {
    const final = join(ctx.storageDir, `object-${oid}`);
    await rename(file, final);
    blob.disk = final;
  }
  if (!ctx.state.lfs.has(oid)) ctx.state.lfs.set(oid, { blob, file: oid });
}

/** `POST /{repo}.git/info/lfs/objects/batch`. */
async function batch(ctx: HubContext, req: IncomingMessage, res: ServerResponse, log: LoggedRequest, repo: string): Promise<void> {
  const body = parseJson(await readBody(req, log)) as { operation?: unknown; transfers?: unknown; objects?: unknown; hash_algo?: unknown } | undefined;
  if (body?.operation !== 'upload' || !Array.isArray(body.objects)) {
    return errorReply(res, log, 422, undefined, 'Invalid LFS batch request');
  }
  const transfers = Array.isArray(body.transfers) ? (body.transfers as unknown[]) : ['basic'];
  const objects: unknown[] = [];
  let anyMultipart = false;
  for (const o of body.objects as Array<{ oid?: unknown; size?: unknown }>) {
    if (typeof o?.oid !== 'string' || !/^[0-9a-f]{64}$/.test(o.oid) || typeof o.size !== 'number' || o.size < 0) {
      objects.push({ oid: String(o?.oid), size: Number(o?.size) || 0, error: { code: 422, message: 'Invalid object' } });
      continue;
    }
    const stored = ctx.state.lfs.get(o.oid);
    if (stored && stored.blob.size === o.size) {
      objects.push({ oid: o.oid, size: o.size, authenticated: true });
      continue;
    }
    const uploadId = randomUUID();
    const verify = { href: `${ctx.endpoint}/${repo}.git/info/lfs/objects/verify`, header: {} };
    if (o.size > ctx.multipartThreshold && transfers.includes('multipart')) {
      anyMultipart = true;
      const n = Math.ceil(o.size / ctx.chunkSize);
      const header: Record<string, string> = { chunk_size: String(ctx.chunkSize) };
      for (let i = 1; i <= n; i++) header[String(i)] = `${ctx.cdn}/upload/${o.oid}/part/${i}?uploadId=${uploadId}&X-Amz-Signature=fake`;
      ctx.uploads.set(uploadId, { repo, oid: o.oid, size: o.size, chunkSize: ctx.chunkSize, parts: new Map() });
      objects.push({
        oid: o.oid,
        size: o.size,
        authenticated: true,
        actions: { upload: { href: `${ctx.endpoint}/${repo}.git/info/lfs/complete_multipart?uploadId=${uploadId}`, header }, verify },
      });
    } else {
      ctx.uploads.set(uploadId, { repo, oid: o.oid, size: o.size, chunkSize: undefined, parts: new Map() });
      objects.push({
        oid: o.oid,
        size: o.size,
        authenticated: true,
        actions: { upload: { href: `${ctx.cdn}/upload/${o.oid}?uploadId=${uploadId}&X-Amz-Signature=fake` }, verify },
      });
    }
  }
  jsonReply(res, log, 200, { transfer: anyMultipart ? 'multipart' : 'basic', objects, hash_algo: 'sha256' }, { 'Content-Type': 'application/vnd.git-lfs+json' });
}

/** `POST /{repo}.git/info/lfs/complete_multipart?uploadId=`: joins the parts (no token needed; the id authorises). */
async function complete(ctx: HubContext, req: IncomingMessage, res: ServerResponse, log: LoggedRequest, uploadId: string): Promise<void> {
  const body = parseJson(await readBody(req, log)) as { oid?: unknown; parts?: unknown } | undefined;
  const up = ctx.uploads.get(uploadId);
  if (!up || up.chunkSize === undefined) return errorReply(res, log, 404, undefined, 'No such multipart upload');
  const n = Math.ceil(up.size / up.chunkSize);
  const parts = Array.isArray(body?.parts) ? (body.parts as Array<{ partNumber?: unknown; etag?: unknown }>) : [];
  if (body?.oid !== up.oid || parts.length !== n) return errorReply(res, log, 400, undefined, `Expected oid ${up.oid} and ${n} parts`);
  for (let i = 0; i < n; i++) {
    const got = up.parts.get(i + 1);
    if (parts[i]?.partNumber !== i + 1 || got === undefined || parts[i]?.etag !== got.etag) {
      return errorReply(res, log, 400, undefined, `Part ${i + 1}: missing or ETag mismatch`);
    }
  }
  const file = join(ctx.storageDir, `assemble-${uploadId}`);
  const sha = createHash('sha256');
  let size = 0;
  const out = createWriteStream(file);
  for (let i = 1; i <= n; i++) {
    const part = up.parts.get(i) as { file: string };
    for await (const chunk of createReadStream(part.file, { highWaterMark: 4 << 20 })) {
      sha.update(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await rm(part.file, { force: true });
  }
  await new Promise<void>((r) => out.end(() => r()));
  ctx.uploads.delete(uploadId);
  if (size !== up.size || sha.digest('hex') !== up.oid) {
    await rm(file, { force: true });
    return errorReply(res, log, 400, undefined, `The parts do not add up to object ${up.oid} of ${up.size} bytes`);
  }
  await store(ctx, up.oid, size, file);
  jsonReply(res, log, 200, {});
}

/** Handles `/{repo}.git/info/lfs/...` on the Hub; `false` when the path is not one. */
export async function handleLfs(ctx: HubContext, req: IncomingMessage, res: ServerResponse, log: LoggedRequest): Promise<boolean> {
  const url = new URL(req.url ?? '/', ctx.endpoint);
  const m = /^\/(.+)\.git\/info\/lfs\/(objects\/batch|objects\/verify|complete_multipart)$/.exec(url.pathname);
  if (!m) return false;
  const repo = m[1] as string;
  const route = m[2];
  if (route === 'complete_multipart') {
    await complete(ctx, req, res, log, url.searchParams.get('uploadId') ?? '');
    return true;
  }
  const token = bearer(req);
  const user = ctx.state.userOf(token);
  if (token !== undefined && user === undefined) {
    await readBody(req, log);
    errorReply(res, log, 401, undefined, 'Invalid credentials in Authorization header');
    return true;
  }
  const state = ctx.state.repos.get(repo);
  if (!state || (state.private && !user)) {
    await readBody(req, log);
    errorReply(res, log, user ? 404 : 401, 'RepoNotFound', 'Repository not found');
    return true;
  }
  if (!ctx.state.canWrite(user, repo)) {
    await readBody(req, log);
    errorReply(res, log, 403, undefined, `You don't have the rights to write to ${repo}`);
    return true;
  }
  if (route === 'objects/batch') await batch(ctx, req, res, log, repo);
  else {
    const body = parseJson(await readBody(req, log)) as { oid?: unknown; size?: unknown } | undefined;
    const stored = typeof body?.oid === 'string' ? ctx.state.lfs.get(body.oid) : undefined;
    if (!stored || stored.blob.size !== body?.size) errorReply(res, log, 404, undefined, `Object ${String(body?.oid)} not found`);
    else jsonReply(res, log, 200, {});
  }
  return true;
}

/** Handles `PUT /upload/{oid}[/part/{n}]?uploadId=` on the storage host; `false` when the path is not one. */
export async function handleStorage(ctx: HubContext, req: IncomingMessage, res: ServerResponse, log: LoggedRequest, fault: { cutUploadAfter?: number; slowUpload?: { delayMs: number } }): Promise<boolean> {
  const url = new URL(req.url ?? '/', ctx.cdn);
  const m = /^\/upload\/([0-9a-f]{64})(?:\/part\/(\d+))?$/.exec(url.pathname);
  if (!m || req.method !== 'PUT') return false;
  const up = ctx.uploads.get(url.searchParams.get('uploadId') ?? '');
  const length = req.headers['content-length'];
  if (!up || up.oid !== m[1]) {
    await readBody(req, log);
    errorReply(res, log, 403, undefined, 'AccessDenied: no such upload (expired?)');
    return true;
  }
  if (length === undefined) {
    await readBody(req, log);
    errorReply(res, log, 411, undefined, 'MissingContentLength');
    return true;
  }
  const file = join(ctx.storageDir, `incoming-${randomUUID()}`);
  const got = await receive(req, file, log, fault.cutUploadAfter, fault.slowUpload?.delayMs);
  if (got === undefined) {
    await rm(file, { force: true });
    return true;
  }
  if (got.size !== Number(length)) {
    await rm(file, { force: true });
    errorReply(res, log, 400, undefined, 'IncompleteBody');
    return true;
  }
  if (m[2] !== undefined) {
    const n = Number(m[2]);
    const old = up.parts.get(n);
    if (old) await rm(old.file, { force: true });
    up.parts.set(n, { file, etag: `"${got.md5}"`, size: got.size });
    log.status = 200;
    res.writeHead(200, { ETag: `"${got.md5}"`, 'Content-Length': '0' }).end();
    return true;
  }
  if (got.size !== up.size || got.sha256 !== up.oid) {
    await rm(file, { force: true });
    errorReply(res, log, 400, undefined, 'BadDigest: the body does not match the object id');
    return true;
  }
  await store(ctx, up.oid, got.size, file);
  ctx.uploads.delete(url.searchParams.get('uploadId') ?? '');
  log.status = 200;
  res.writeHead(200, { ETag: `"${got.md5}"`, 'Content-Length': '0' }).end();
  return true;
}
