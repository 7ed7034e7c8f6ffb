/**
 * A fake Hugging Face Hub on 127.0.0.1 for tests and the docs: two HTTP servers, the Hub and a
 * "CDN"/storage host on another port and host name (`localhost`), speaking the protocol huggingface_hub relies on.
 *
 * Downloads, `HEAD|GET /{repo}/resolve/{revision}/{path}` (revision percent-encoded):
 * - regular files: 200 (206 for `Range`), `ETag: "<git blob sha1>"`, `X-Repo-Commit`,
 *   `Content-Length`, `Accept-Ranges: bytes`;
 * - LFS files: 302 to `{cdn}/lfs/{sha256}` with `X-Linked-Etag: "<sha256>"`, `X-Linked-Size`,
 *   `X-Repo-Commit` and the pointer's own `ETag`;
 * - errors with `X-Error-Code`: unknown or private repository without token 401 `RepoNotFound`
 *   (404 with a valid token), gated 401/403 `GatedRepo`, 404 `RevisionNotFound`,
 *   404 `EntryNotFound` (with `X-Repo-Commit`); a renamed repository answers a relative 307.
 * CDN, `GET|HEAD /lfs/{sha256}`: the bytes, with `Range` support.
 *
 * Writes (hub-api.ts, hub-lfs.ts): `GET /api/whoami-v2`, `POST /api/repos/create`,
 * `GET /api/models/{repo}[/revision/{rev}]`, `GET .../tree/{rev}[/{path}]` (paginated with
 * `Link`), `POST|DELETE .../branch/{name}`, `POST .../preupload/{rev}`, `POST .../commit/{rev}`
 * (NDJSON), `POST /{repo}.git/info/lfs/objects/batch` (basic and multipart instructions),
 * `.../objects/verify`, `.../complete_multipart`, and `PUT {cdn}/upload/{oid}[/part/{n}]`.
 * An unknown token is 401 "Invalid credentials in Authorization header"; writing outside the
 * token account's namespaces (or with a read-only token) is 403.
 *
 * Faults are injected per request with `onRequest` (status, cut after N bytes, cut an upload,
 * ignore Range, corrupt, throttle, destroy), and every request is logged.
 *
 * @example
 * ```ts
 * const hub = await startHubServer({ repos: { 'org/tiny': { folder: 'fixtures/bert-tiny' } } });
 * const path = await downloadFile({ modelId: 'org/tiny', filename: 'config.json', endpoint: hub.endpoint, cacheDir });
 * await hub.close();
 * ```
 * @module
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { defaultUploadMode, handleApi } from './hub-api.js';
import type { HubContext } from './hub-context.js';
import { errorReply, type FakeRequest, type FaultAction, type LoggedRequest, readBody } from './hub-http.js';
import { handleLfs, handleStorage } from './hub-lfs.js';
import {
  DEFAULT_LFS,
  type FakeRepo,
  type FakeUser,
  type FileContent,
  gitBlobSha,
  HubState,
  lfsPointer,
  type StoredBlob,
  toBuffer,
} from './hub-state.js';

export type { FakeRequest, FaultAction, LoggedRequest } from './hub-http.js';
export type { FakeRepo, FakeUser, FileContent } from './hub-state.js';

/** Options of {@link startHubServer}. */
export interface HubServerOptions {
  /** Repositories by id. */
  repos: Record<string, FakeRepo>;
  /** Valid tokens (account "user"). Default `['hf_valid']`. */
  tokens?: string[];
  /** Tokens granted access to gated repositories. Default `['hf_approved']` (also valid, account "user"). */
  approvedTokens?: string[];
  /** Accounts by token (name, organisations, read-only); these tokens are valid too. */
  users?: Record<string, FakeUser>;
  /** Which files given at start are LFS. Default: weights extensions or > 10 MB. */
  isLfs?: (path: string, bytes: Uint8Array) => boolean;
  /** Preupload's rule. Default: weights extensions, > 10 MB, or a NUL byte in the sample. */
  uploadMode?: (path: string, sample: Buffer, size: number) => 'lfs' | 'regular';
  /** Renamed repositories: old id -> new id (answered with a relative 307). */
  renamed?: Record<string, string>;
  /** Send `ETag: W/"..."` for regular files. Default false. */
  weakEtags?: boolean;
  /** Tree entries per page. Default 1000. */
  pageSize?: number;
  /** LFS uploads above this size are multipart. Default 20 MB. */
  multipartThreshold?: number;
  /** Part size of multipart uploads. Default 8 MB. */
  chunkSize?: number;
  /** Uploaded objects up to this size stay in memory; larger ones go to a temporary folder. Default 64 MB. */
  memoryLimit?: number;
  /** Fault hook, called for every request. */
  onRequest?: (req: FakeRequest) => FaultAction | undefined | void;
}

/** A running fake Hub. */
export interface HubServer {
  /** Hub address, e.g. `http://127.0.0.1:43123`. */
  endpoint: string;
  /** CDN and storage address (another port, so another host for `Authorization` purposes). */
  cdnEndpoint: string;
  /** Every request so far, in arrival order. */
  requests: LoggedRequest[];
  /** Commit a branch, tag or commit of a repository resolves to. */
  commitOf(repo: string, revision?: string): string;
  /** Moves (or creates) a branch to a new commit holding `files`; returns the commit. */
  setBranch(repo: string, branch: string, files: Record<string, FileContent>): string;
  /** Points a tag at the commit of `revision`. */
  setTag(repo: string, tag: string, revision: string): void;
  /** Bytes of a file at a revision. */
  fileBytes(repo: string, path: string, revision?: string): Buffer;
  /** Paths of the files at a revision, sorted. */
  files(repo: string, revision?: string): string[];
  /** Summary, description and parent of the commit a revision resolves to. */
  commitInfo(repo: string, revision?: string): { summary: string; description: string; parent: string | undefined };
  /** Whether a repository exists, and whether it is private. */
  repoState(repo: string): { private: boolean } | undefined;
  /** Blob id the Hub announces for a file: sha256 for LFS files, git blob sha1 otherwise. */
  etagOf(repo: string, path: string, revision?: string): string;
  /** Whether a file is served through the CDN. */
  isLfs(repo: string, path: string, revision?: string): boolean;
  /** Stops both servers, closing open connections, and removes uploaded objects. */
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 and returns the address under `hostname`: the CDN is named `localhost`,
 * another host name than the Hub's `127.0.0.1`, as a real CDN is (huggingface_hub compares host
 * names, not ports, to decide whether a redirect leaves the Hub).
 */
function listen(server: Server, hostname: string): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://${hostname}:${(server.address() as AddressInfo).port}`));
  });
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts the fake Hub and its CDN on loopback ports chosen by the system. */
export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const users = new Map<string, FakeUser>();
  for (const t of [...(options.tokens ?? ['hf_valid']), ...(options.approvedTokens ?? ['hf_approved'])]) users.set(t, { name: 'user' });
  for (const [t, u] of Object.entries(options.users ?? {})) users.set(t, u);
  const approved = new Set(options.approvedTokens ?? ['hf_approved']);
  const state = new HubState(options.isLfs ?? DEFAULT_LFS, users, approved);
  for (const [id, spec] of Object.entries(options.repos)) state.addRepo(id, spec);
  const requests: LoggedRequest[] = [];
  const storageDir = mkdtempSync(join(tmpdir(), 'fake-hub-storage-'));
  const ctx: HubContext = {
    state,
    endpoint: '',
    cdn: '',
    storageDir,
    uploads: new Map(),
    pageSize: options.pageSize ?? 1000,
    multipartThreshold: options.multipartThreshold ?? 20_000_000,
    chunkSize: options.chunkSize ?? 8_000_000,
    memoryLimit: options.memoryLimit ?? 64 * 1024 * 1024,
    uploadMode: options.uploadMode ?? defaultUploadMode,
  };

  const blobAt = (id: string, path: string, rev = 'main'): StoredBlob => {
    const repo = state.repo(id);
    const blob = repo.commits.get(state.resolve(repo, rev) ?? '')?.files.get(path);
    if (!blob) throw new Error(`hub-server: no file ${path} in ${id}@${rev}`);
    return blob;
  };

  const sockets = new Set<Socket>();
  const track = (server: Server): void => {
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
  };

  /** Sends `bytes` (or the `Range` of it) applying the fault. */
  async function sendBody(
    req: IncomingMessage,
    res: ServerResponse,
    bytes: Buffer,
    headers: Record<string, string>,
    fault: FaultAction,
    log: LoggedRequest,
  ): Promise<void> {
    let status = 200;
    let body = bytes;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (req.headers.range && !fault.ignoreRange) {
      const start = range ? Number(range[1]) : Number.NaN;
      const end = range && range[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
      if (!range || start >= bytes.length || start > end) {
        log.status = 416;
        res.writeHead(416, { 'Content-Range': `bytes */${bytes.length}`, 'Content-Length': '0' }).end();
        return;
      }
      status = 206;
      body = bytes.subarray(start, end + 1);
      headers['Content-Range'] = `bytes ${start}-${end}/${bytes.length}`;
    }
    if (fault.corrupt) body = Buffer.from(body.map((b) => b ^ 0xff));
    log.status = status;
    res.writeHead(status, { ...headers, 'Content-Length': String(body.length), 'Accept-Ranges': 'bytes' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (!fault.throttle && fault.cutAfter === undefined) {
      res.end(body);
      return;
    }
    const limit = fault.cutAfter ?? body.length;
    const chunk = fault.throttle?.chunk ?? limit;
    for (let off = 0; off < Math.min(limit, body.length); off += chunk) {
      const piece = body.subarray(off, Math.min(off + chunk, limit));
      await new Promise<void>((r) => res.write(piece, () => r()));
      if (fault.throttle) await wait(fault.throttle.delayMs);
    }
    if (fault.cutAfter !== undefined && fault.cutAfter < body.length) {
      await wait(10);
      res.socket?.destroy();
      return;
    }
    res.end();
  }

  /** Streams a large object from disk (with `Range`), for objects uploaded above `memoryLimit`. */
  function sendDisk(req: IncomingMessage, res: ServerResponse, file: string, oid: string, log: LoggedRequest): void {
    const size = statSync(file).size;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = size - 1;
    const headers: Record<string, string> = { ETag: `"${oid}"`, 'Content-Type': 'binary/octet-stream', 'Accept-Ranges': 'bytes' };
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    }
    log.status = range ? 206 : 200;
    res.writeHead(log.status, { ...headers, 'Content-Length': String(end - start + 1) });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file, { start, end, highWaterMark: 4 << 20 }).pipe(res);
  }

  /** Applies `status`/`destroy` faults; `true` when the request was answered. */
  async function applyFault(req: IncomingMessage, res: ServerResponse, fault: FaultAction, log: LoggedRequest): Promise<boolean> {
    if (fault.destroy) {
      req.socket.destroy();
      return true;
    }
    if (fault.status !== undefined) {
      if (req.method === 'POST' || req.method === 'PUT') await readBody(req, log);
      log.status = fault.status;
      res.writeHead(fault.status, { 'Content-Length': String(Buffer.byteLength(fault.body ?? '')), ...fault.headers });
      res.end(req.method === 'HEAD' ? undefined : fault.body);
      return true;
    }
    return false;
  }

  function newLog(server: 'hub' | 'cdn', req: IncomingMessage): LoggedRequest {
    const log: LoggedRequest = {
      server,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      range: req.headers.range,
      authorization: req.headers.authorization,
      status: 0,
    };
    requests.push(log);
    return log;
  }

  async function hubHandler(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? '/';
    const log = newLog('hub', req);
    const m = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(raw.split('?')[0] as string);
    const file = m ? (m[3] as string).split('/').map(decodeURIComponent).join('/') : undefined;
    const fault =
      options.onRequest?.({ server: 'hub', method: log.method, path: raw, headers: req.headers, ...(file ? { file } : {}) }) ?? {};
    if (await applyFault(req, res, fault, log)) return;
    if (await handleApi(ctx, req, res, log)) return;
    if (await handleLfs(ctx, req, res, log)) return;
    if (!m || !file) return errorReply(res, log, 404, 'NotFound', 'Not found');
    const id = m[1] as string;
    const rev = decodeURIComponent(m[2] as string);
    const renamedTo = options.renamed?.[id];
    if (renamedTo) {
      log.status = 307;
      res.writeHead(307, { Location: `/${renamedTo}/resolve/${m[2]}/${m[3]}`, 'Content-Length': '0' }).end();
      return;
    }
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const valid = token !== undefined && users.has(token);
    const repo = state.repos.get(id);
    if (!repo || (repo.private && !valid)) {
      return errorReply(res, log, valid ? 404 : 401, 'RepoNotFound', 'Repository not found');
    }
    if (repo.gated && !(token !== undefined && approved.has(token))) {
      return errorReply(res, log, valid ? 403 : 401, 'GatedRepo', `Access to model ${id} is restricted and you are not in the authorized list.`);
    }
    const sha = state.resolve(repo, rev);
    if (!sha) return errorReply(res, log, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    const blob = repo.commits.get(sha)?.files.get(file);
    if (!blob) return errorReply(res, log, 404, 'EntryNotFound', 'Entry not found', { 'X-Repo-Commit': sha });
    if (blob.lfs) {
      log.status = 302;
      res.writeHead(302, {
        Location: `${ctx.cdn}/lfs/${blob.sha256}?response-content-disposition=${encodeURIComponent(`attachment; filename="${file.split('/').pop()}";`)}`,
        'X-Repo-Commit': sha,
        'X-Linked-Etag': `"${blob.sha256}"`,
        'X-Linked-Size': String(blob.size),
        ETag: `"${gitBlobSha(lfsPointer(blob.sha256, blob.size))}"`,
        'Content-Length': '0',
      });
      res.end();
      return;
    }
    const etag = `"${blob.gitSha1}"`;
    await sendBody(
      req,
      res,
      state.bytesOf(blob),
      { 'X-Repo-Commit': sha, ETag: options.weakEtags ? `W/${etag}` : etag, 'Content-Type': 'application/octet-stream' },
      fault,
      log,
    );
  }

  async function cdnHandler(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? '/';
    const log = newLog('cdn', req);
    const oid = /^\/(?:lfs|upload)\/([0-9a-f]{64})/.exec(raw)?.[1];
    const entry = oid ? state.lfs.get(oid) : undefined;
    const fault =
      options.onRequest?.({ server: 'cdn', method: log.method, path: raw, headers: req.headers, ...(entry ? { file: entry.file } : {}) }) ?? {};
    if (await applyFault(req, res, fault, log)) return;
    if (await handleStorage(ctx, req, res, log, fault)) return;
    if (!entry || !raw.startsWith('/lfs/')) {
      log.status = 404;
      res.writeHead(404, { 'Content-Length': '0' }).end();
      return;
    }
    if (entry.blob.bytes === undefined && entry.blob.disk !== undefined) return sendDisk(req, res, entry.blob.disk, oid as string, log);
    await sendBody(req, res, state.bytesOf(entry.blob), { ETag: `"${oid}"`, 'Content-Type': 'binary/octet-stream' }, fault, log);
  }

  const wrap =
    (fn: (req: IncomingMessage, res: ServerResponse) => Promise<void>) =>
    (req: IncomingMessage, res: ServerResponse) => {
      fn(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(err));
        else res.destroy();
      });
    };
  const cdnServer = createServer(wrap(cdnHandler));
  const hubServer = createServer(wrap(hubHandler));
  track(cdnServer);
  track(hubServer);
  ctx.cdn = await listen(cdnServer, 'localhost');
  ctx.endpoint = await listen(hubServer, '127.0.0.1');

  return {
    endpoint: ctx.endpoint,
    cdnEndpoint: ctx.cdn,
    requests,
    commitOf: (repo, revision = 'main') => {
      const sha = state.resolve(state.repo(repo), revision);
      if (!sha) throw new Error(`hub-server: no revision ${revision} in ${repo}`);
      return sha;
    },
    setBranch: (repo, branch, files) => {
      const r = state.repo(repo);
      const map = new Map(Object.entries(files).map(([p, c]) => [p, state.blobOf(p, toBuffer(c))]));
      const sha = state.commit(r, map, { parent: r.branches.get(branch), summary: `${repo}@${branch}` });
      r.branches.set(branch, sha);
      return sha;
    },
    setTag: (repo, tag, revision) => {
      const r = state.repo(repo);
      const sha = state.resolve(r, revision);
      if (!sha) throw new Error(`hub-server: no revision ${revision} in ${repo}`);
      r.tags.set(tag, sha);
    },
    fileBytes: (repo, path, revision) => state.bytesOf(blobAt(repo, path, revision)),
    files: (repo, revision = 'main') => {
      const r = state.repo(repo);
      return [...(r.commits.get(state.resolve(r, revision) ?? '')?.files.keys() ?? [])].sort();
    },
    commitInfo: (repo, revision = 'main') => {
      const r = state.repo(repo);
      const c = r.commits.get(state.resolve(r, revision) ?? '');
      if (!c) throw new Error(`hub-server: no revision ${revision} in ${repo}`);
      return { summary: c.summary, description: c.description, parent: c.parent };
    },
    repoState: (repo) => {
      const r = state.repos.get(repo);
      return r ? { private: r.private } : undefined;
    },
    etagOf: (repo, path, revision) => {
      const blob = blobAt(repo, path, revision);
      return blob.lfs ? blob.sha256 : blob.gitSha1;
    },
    isLfs: (repo, path, revision) => blobAt(repo, path, revision).lfs,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([hubServer, cdnServer].map((s) => new Promise<void>((r) => s.close(() => r()))));
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
}
