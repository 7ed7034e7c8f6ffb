/**
 * A fake Hugging Face Hub on 127.0.0.1 for tests: two HTTP servers, the Hub and a "CDN" on
 * another port, speaking the protocol huggingface_hub relies on.
 *
 * Hub, `HEAD|GET /{repo}/resolve/{revision}/{path}` (revision percent-encoded):
 * - regular files: 200 (206 for `Range`), `ETag: "<git blob sha1>"`, `X-Repo-Commit`,
 *   `Content-Length`, `Accept-Ranges: bytes`;
 * - LFS files (`*.safetensors`, `*.bin`, ... or > 10 MB): 302 to `{cdn}/lfs/{sha256}` with
 *   `X-Linked-Etag: "<sha256>"`, `X-Linked-Size`, `X-Repo-Commit` and the pointer's own `ETag`;
 * - errors with `X-Error-Code`: unknown or private repository without token 401 `RepoNotFound`
 *   (404 with a valid token), gated 401/403 `GatedRepo`, 404 `RevisionNotFound`,
 *   404 `EntryNotFound` (with `X-Repo-Commit`); a renamed repository answers a relative 307.
 * CDN, `GET|HEAD /lfs/{sha256}`: the bytes, with `Range` support.
 *
 * Faults are injected per request with `onRequest` (status, cut after N bytes, ignore Range,
 * corrupt, throttle, destroy), and every request is logged.
 *
 * @example
 * ```ts
 * const hub = await startHubServer({ repos: { 'org/tiny': { folder: 'fixtures/bert-tiny' } } });
 * const path = await downloadFile({ modelId: 'org/tiny', filename: 'config.json', endpoint: hub.endpoint, cacheDir });
 * await hub.close();
 * ```
 * @module
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join, relative, sep } from 'node:path';

/** File contents: text (UTF-8) or bytes. */
export type FileContent = string | Uint8Array;

/** One repository of the fake Hub. */
export interface FakeRepo {
  /** Files of branch `main`. */
  files?: Record<string, FileContent>;
  /** A folder whose files (recursively) are added to `main` (under `files`, which win). */
  folder?: string;
  /** More branches: name -> files. */
  branches?: Record<string, Record<string, FileContent>>;
  /** Tags: name -> branch whose commit they point to at start. */
  tags?: Record<string, string>;
  /** Needs a valid token (else 401 RepoNotFound, like a missing repository). */
  private?: boolean;
  /** Needs an approved token (else 401/403 GatedRepo). */
  gated?: boolean;
}

/** One request as the fault hook sees it. */
export interface FakeRequest {
  /** Which server got it. */
  server: 'hub' | 'cdn';
  method: string;
  /** Raw path with query, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Repository path of the file asked for (hub: from the URL; cdn: the file's repository path, if known). */
  file?: string;
}

/** What to do differently for one request; fields combine. */
export interface FaultAction {
  /** Answer this status right away (with `headers` and `body`). */
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Send the headers and the first N body bytes, then destroy the socket. */
  cutAfter?: number;
  /** Answer 200 with the whole file even when `Range` was asked. */
  ignoreRange?: boolean;
  /** Flip the bits of the body's bytes (length unchanged). */
  corrupt?: boolean;
  /** Send the body in chunks of `chunk` bytes, waiting `delayMs` between them. */
  throttle?: { chunk: number; delayMs: number };
  /** Destroy the socket without answering. */
  destroy?: boolean;
}

/** Options of {@link startHubServer}. */
export interface HubServerOptions {
  /** Repositories by id. */
  repos: Record<string, FakeRepo>;
  /** Valid tokens. Default `['hf_valid']`. */
  tokens?: string[];
  /** Tokens granted access to gated repositories. Default `['hf_approved']` (also valid). */
  approvedTokens?: string[];
  /** Which files are LFS. Default: weights extensions or > 10 MB. */
  isLfs?: (path: string, bytes: Uint8Array) => boolean;
  /** Renamed repositories: old id -> new id (answered with a relative 307). */
  renamed?: Record<string, string>;
  /** Send `ETag: W/"..."` for regular files. Default false. */
  weakEtags?: boolean;
  /** Fault hook, called for every request. */
  onRequest?: (req: FakeRequest) => FaultAction | undefined | void;
}

/** One logged request. */
export interface LoggedRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  range: string | undefined;
  authorization: string | undefined;
  status: number;
}

/** A running fake Hub. */
export interface HubServer {
  /** Hub address, e.g. `http://127.0.0.1:43123`. */
  endpoint: string;
  /** CDN address (another port, so another host for `Authorization` purposes). */
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
  /** Blob id the Hub announces for a file: sha256 for LFS files, git blob sha1 otherwise. */
  etagOf(repo: string, path: string, revision?: string): string;
  /** Whether a file is served through the CDN. */
  isLfs(repo: string, path: string, revision?: string): boolean;
  /** Stops both servers, closing open connections. */
  close(): Promise<void>;
}

interface RepoState {
  spec: FakeRepo;
  commits: Map<string, Map<string, Buffer>>;
  refs: Map<string, string>;
}

const toBuffer = (c: FileContent): Buffer => (typeof c === 'string' ? Buffer.from(c, 'utf8') : Buffer.from(c));
const sha1 = (b: Buffer | string): string => createHash('sha1').update(b).digest('hex');
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
/** Git's blob id: sha1 of `blob <size>\0<bytes>`. */
const gitBlobSha = (b: Buffer): string => sha1(Buffer.concat([Buffer.from(`blob ${b.length}\0`), b]));
const DEFAULT_LFS = (path: string, bytes: Uint8Array): boolean =>
  /\.(safetensors|bin|h5|msgpack|onnx|pt|pth|ckpt|gguf)$/.test(path) || bytes.length > 10 * 1024 * 1024;

function readFolder(folder: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const name of readdirSync(folder, { recursive: true }) as string[]) {
    const full = join(folder, name);
    if (statSync(full).isFile()) out[relative(folder, full).split(sep).join('/')] = readFileSync(full);
  }
  return out;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts the fake Hub and its CDN on loopback ports chosen by the system. */
export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const tokens = options.tokens ?? ['hf_valid'];
  const approved = options.approvedTokens ?? ['hf_approved'];
  const isLfsFile = options.isLfs ?? DEFAULT_LFS;
  const repos = new Map<string, RepoState>();
  const byHash = new Map<string, { bytes: Buffer; file: string }>();
  const requests: LoggedRequest[] = [];
  let counter = 0;

  const commit = (state: RepoState, label: string, files: Record<string, FileContent>): string => {
    const map = new Map<string, Buffer>();
    for (const [path, content] of Object.entries(files)) {
      const bytes = toBuffer(content);
      map.set(path, bytes);
      byHash.set(sha256(bytes), { bytes, file: path });
    }
    const listing = [...map.entries()].sort().map(([p, b]) => `${p}:${gitBlobSha(b)}`);
    const sha = sha1(`${label}\n${counter++}\n${listing.join('\n')}`);
    state.commits.set(sha, map);
    return sha;
  };
  for (const [id, spec] of Object.entries(options.repos)) {
    const state: RepoState = { spec, commits: new Map(), refs: new Map() };
    repos.set(id, state);
    const main = { ...(spec.folder ? readFolder(spec.folder) : {}), ...(spec.files ?? {}) };
    state.refs.set('main', commit(state, `${id}@main`, main));
    for (const [branch, files] of Object.entries(spec.branches ?? {}))
      state.refs.set(branch, commit(state, `${id}@${branch}`, files));
    for (const [tag, branch] of Object.entries(spec.tags ?? {})) state.refs.set(tag, state.refs.get(branch) as string);
  }

  const repoOf = (id: string): RepoState => {
    const state = repos.get(id);
    if (!state) throw new Error(`hub-server: no repository ${id}`);
    return state;
  };
  const resolveRev = (state: RepoState, rev: string): string | undefined =>
    state.refs.get(rev) ?? (state.commits.has(rev) ? rev : undefined);
  const fileAt = (id: string, path: string, rev = 'main'): Buffer => {
    const state = repoOf(id);
    const bytes = state.commits.get(resolveRev(state, rev) ?? '')?.get(path);
    if (!bytes) throw new Error(`hub-server: no file ${path} in ${id}@${rev}`);
    return bytes;
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

  function errorReply(
    res: ServerResponse,
    log: LoggedRequest,
    status: number,
    code: string,
    message: string,
    extra: Record<string, string> = {},
  ): void {
    log.status = status;
    const body = JSON.stringify({ error: message });
    res.writeHead(status, {
      'X-Error-Code': code,
      'X-Error-Message': message,
      'X-Request-Id': `req-${requests.length}`,
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      ...extra,
    });
    res.end(res.req.method === 'HEAD' ? undefined : body);
  }

  async function hubHandler(req: IncomingMessage, res: ServerResponse, cdn: string): Promise<void> {
    const raw = req.url ?? '/';
    const log: LoggedRequest = {
      server: 'hub',
      method: req.method ?? 'GET',
      path: raw,
      range: req.headers.range,
      authorization: req.headers.authorization,
      status: 0,
    };
    requests.push(log);
    const m = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(raw.split('?')[0] as string);
    const file = m ? (m[3] as string).split('/').map(decodeURIComponent).join('/') : undefined;
    const fault =
      options.onRequest?.({
        server: 'hub',
        method: log.method,
        path: raw,
        headers: req.headers,
        ...(file ? { file } : {}),
      }) ?? {};
    if (fault.destroy) {
      req.socket.destroy();
      return;
    }
    if (fault.status !== undefined) {
      log.status = fault.status;
      res.writeHead(fault.status, { 'Content-Length': String(Buffer.byteLength(fault.body ?? '')), ...fault.headers });
      res.end(req.method === 'HEAD' ? undefined : fault.body);
      return;
    }
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
    const valid = token !== undefined && (tokens.includes(token) || approved.includes(token));
    const state = repos.get(id);
    if (!state || (state.spec.private && !valid)) {
      return errorReply(res, log, valid ? 404 : 401, 'RepoNotFound', 'Repository not found');
    }
    if (state.spec.gated && !(token !== undefined && approved.includes(token))) {
      return errorReply(
        res,
        log,
        valid ? 403 : 401,
        'GatedRepo',
        `Access to model ${id} is restricted and you are not in the authorized list.`,
      );
    }
    const sha = resolveRev(state, rev);
    if (!sha) return errorReply(res, log, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    const bytes = state.commits.get(sha)?.get(file);
    if (!bytes) return errorReply(res, log, 404, 'EntryNotFound', 'Entry not found', { 'X-Repo-Commit': sha });
    if (isLfsFile(file, bytes)) {
      const oid = sha256(bytes);
      const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${bytes.length}\n`;
      log.status = 302;
      res.writeHead(302, {
        Location: `${cdn}/lfs/${oid}?response-content-disposition=${encodeURIComponent(
          `attachment; filename="${file.split('/').pop()}";`,
        )}`,
        'X-Repo-Commit': sha,
        'X-Linked-Etag': `"${oid}"`,
        'X-Linked-Size': String(bytes.length),
        ETag: `"${gitBlobSha(Buffer.from(pointer))}"`,
        'Content-Length': '0',
      });
      res.end();
      return;
    }
    const etag = `"${gitBlobSha(bytes)}"`;
    await sendBody(
      req,
      res,
      bytes,
      {
        'X-Repo-Commit': sha,
        ETag: options.weakEtags ? `W/${etag}` : etag,
        'Content-Type': 'application/octet-stream',
      },
      fault,
      log,
    );
  }

  async function cdnHandler(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? '/';
    const log: LoggedRequest = {
      server: 'cdn',
      method: req.method ?? 'GET',
      path: raw,
      range: req.headers.range,
      authorization: req.headers.authorization,
      status: 0,
    };
    requests.push(log);
    const oid = /^\/lfs\/([0-9a-f]{64})/.exec(raw)?.[1];
    const entry = oid ? byHash.get(oid) : undefined;
    const fault =
      options.onRequest?.({
        server: 'cdn',
        method: log.method,
        path: raw,
        headers: req.headers,
        ...(entry ? { file: entry.file } : {}),
      }) ?? {};
    if (fault.destroy) {
      req.socket.destroy();
      return;
    }
    if (fault.status !== undefined) {
      log.status = fault.status;
      res.writeHead(fault.status, { 'Content-Length': String(Buffer.byteLength(fault.body ?? '')), ...fault.headers });
      res.end(req.method === 'HEAD' ? undefined : fault.body);
      return;
    }
    if (!entry) {
      log.status = 404;
      res.writeHead(404, { 'Content-Length': '0' }).end();
      return;
    }
    await sendBody(req, res, entry.bytes, { ETag: `"${oid}"`, 'Content-Type': 'binary/octet-stream' }, fault, log);
  }

  let cdnEndpoint = '';
  const wrap =
    (fn: (req: IncomingMessage, res: ServerResponse) => Promise<void>) =>
    (req: IncomingMessage, res: ServerResponse) => {
      fn(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(err));
        else res.destroy();
      });
    };
  const cdnServer = createServer(wrap(cdnHandler));
  const hubServer = createServer(wrap((req, res) => hubHandler(req, res, cdnEndpoint)));
  track(cdnServer);
  track(hubServer);
  cdnEndpoint = await listen(cdnServer);
  const endpoint = await listen(hubServer);

  return {
    endpoint,
    cdnEndpoint,
    requests,
    commitOf: (repo, revision = 'main') => {
      const sha = resolveRev(repoOf(repo), revision);
      if (!sha) throw new Error(`hub-server: no revision ${revision} in ${repo}`);
      return sha;
    },
    setBranch: (repo, branch, files) => {
      const state = repoOf(repo);
      const sha = commit(state, `${repo}@${branch}`, files);
      state.refs.set(branch, sha);
      return sha;
    },
    setTag: (repo, tag, revision) => {
      const state = repoOf(repo);
      const sha = resolveRev(state, revision);
      if (!sha) throw new Error(`hub-server: no revision ${revision} in ${repo}`);
      state.refs.set(tag, sha);
    },
    fileBytes: fileAt,
    etagOf: (repo, path, revision) => {
      const bytes = fileAt(repo, path, revision);
      return isLfsFile(path, bytes) ? sha256(bytes) : gitBlobSha(bytes);
    },
    isLfs: (repo, path, revision) => isLfsFile(path, fileAt(repo, path, revision)),
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([hubServer, cdnServer].map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
