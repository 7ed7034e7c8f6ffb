/**
 * The fake Hub's JSON API (test helper): `whoami-v2`, `repos/create`, repository info, trees
 * (paginated with `Link`), branches, `preupload` and the NDJSON `commit`, with the Hub's
 * statuses and `X-Error-Code`s.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { HubContext } from './hub-context.js';
import { bearer, errorReply, jsonReply, type LoggedRequest, parseJson, readBody } from './hub-http.js';
import { type FakeUser, gitBlobSha, lfsPointer, type RepoState, type StoredBlob } from './hub-state.js';

/** Default preupload rule: weights extensions, > 10 MB, or a NUL byte in the first 512 bytes (binary). */
export function defaultUploadMode(path: string, sample: Buffer, size: number): 'lfs' | 'regular' {
  return /\.(safetensors|bin|h5|msgpack|onnx|pt|pth|ckpt|gguf)$/.test(path) || size > 10 * 1024 * 1024 || sample.includes(0)
    ? 'lfs'
    : 'regular';
}

/** Simple `.gitignore` semantics: a line matches a path, its basename, or a folder prefix. */
function gitIgnored(path: string, gitIgnore: string | undefined): boolean {
  if (!gitIgnore) return false;
  const base = path.split('/').pop() as string;
  return gitIgnore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .some((line) => {
      const p = line.replace(/^\//, '');
      if (p.endsWith('/')) return path.startsWith(p);
      const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
      return re.test(path) || re.test(base);
    });
}

interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  log: LoggedRequest;
  user: FakeUser | undefined;
  token: string | undefined;
}

function canRead(call: Call, state: RepoState | undefined): boolean {
  return state !== undefined && (!state.private || call.user !== undefined);
}

/** Answers RepoNotFound (401 without a token, 404 with one), as the Hub does for missing and hidden repositories. */
function notFound(call: Call): void {
  errorReply(call.res, call.log, call.user ? 404 : 401, 'RepoNotFound', 'Repository not found');
}

function entryOf(path: string, blob: StoredBlob): Record<string, unknown> {
  return {
    type: 'file',
    oid: blob.lfs ? gitBlobSha(lfsPointer(blob.sha256, blob.size)) : blob.gitSha1,
    size: blob.size,
    path,
    ...(blob.lfs ? { lfs: { oid: blob.sha256, size: blob.size, pointerSize: 134 } } : {}),
  };
}

function repoInfo(ctx: HubContext, state: RepoState, sha: string): Record<string, unknown> {
  const files = ctx.state.repos.get(state.id)?.commits.get(sha)?.files ?? new Map();
  return {
    _id: state.id,
    id: state.id,
    modelId: state.id,
    author: state.id.split('/')[0],
    sha,
    private: state.private,
    gated: state.gated ? 'auto' : false,
    disabled: false,
    downloads: 0,
    likes: 0,
    tags: [],
    lastModified: new Date(0).toISOString(),
    createdAt: new Date(0).toISOString(),
    siblings: [...files.keys()].sort().map((rfilename) => ({ rfilename })),
  };
}

function tree(ctx: HubContext, call: Call, state: RepoState, sha: string, folder: string, url: URL): void {
  const files = state.commits.get(sha)?.files as Map<string, StoredBlob>;
  const recursive = url.searchParams.get('recursive') === 'true' || url.searchParams.get('recursive') === 'True';
  const prefix = folder === '' ? '' : `${folder}/`;
  if (folder !== '' && ![...files.keys()].some((p) => p.startsWith(prefix))) {
    return errorReply(call.res, call.log, 404, 'EntryNotFound', `${folder} does not exist on "${sha}"`);
  }
  const entries: Array<Record<string, unknown>> = [];
  const dirs = new Set<string>();
  for (const [path, blob] of [...files.entries()].sort()) {
    if (!path.startsWith(prefix)) continue;
    const rest = path.slice(prefix.length).split('/');
    if (recursive || rest.length === 1) {
      for (let i = 1; i < rest.length && recursive; i++) dirs.add(prefix + rest.slice(0, i).join('/'));
      entries.push(entryOf(path, blob));
    } else dirs.add(prefix + (rest[0] as string));
  }
  const all = [...[...dirs].sort().map((path) => ({ type: 'directory', oid: '0'.repeat(40), size: 0, path })), ...entries];
  const cursor = Number(url.searchParams.get('cursor') ?? '0');
  const page = all.slice(cursor, cursor + ctx.pageSize);
  const extra: Record<string, string> = {};
  if (cursor + ctx.pageSize < all.length) {
    const next = new URL(url.href);
    next.searchParams.set('cursor', String(cursor + ctx.pageSize));
    extra['Link'] = `<${ctx.endpoint}${next.pathname}${next.search}>; rel="next"`;
  }
  jsonReply(call.res, call.log, 200, page, extra);
}

async function createRepo(ctx: HubContext, call: Call): Promise<void> {
  const body = parseJson(await readBody(call.req, call.log)) as { name?: unknown; organization?: unknown; private?: unknown; visibility?: unknown; type?: unknown } | undefined;
  if (!call.user) return errorReply(call.res, call.log, 401, undefined, 'Invalid username or password.');
  if (typeof body?.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(body.name)) {
    return errorReply(call.res, call.log, 400, undefined, 'Invalid repo name');
  }
  if (body.type !== undefined && body.type !== 'model') return errorReply(call.res, call.log, 400, undefined, 'Only model repositories here');
  const ns = typeof body.organization === 'string' ? body.organization : call.user.name;
  const id = `${ns}/${body.name}`;
  if (!ctx.state.canWrite(call.user, id)) {
    return errorReply(call.res, call.log, 403, undefined, `You don't have the rights to create a model under the namespace "${ns}"`);
  }
  if (ctx.state.repos.has(id)) {
    return jsonReply(call.res, call.log, 409, { error: 'You already created this model repo', url: `${ctx.endpoint}/${id}` }, { 'X-Error-Message': 'You already created this model repo' });
  }
  const isPrivate = body.visibility === 'private' || body.private === true;
  ctx.state.createRepo(id, isPrivate);
  jsonReply(call.res, call.log, 200, { url: `${ctx.endpoint}/${id}`, name: id, id });
}

async function preupload(ctx: HubContext, call: Call, state: RepoState, branch: string): Promise<void> {
  const body = parseJson(await readBody(call.req, call.log)) as { files?: unknown; gitIgnore?: unknown } | undefined;
  const sha = state.branches.get(branch);
  if (!sha) return errorReply(call.res, call.log, 404, 'RevisionNotFound', `Invalid rev id: ${branch}`);
  if (!Array.isArray(body?.files)) return errorReply(call.res, call.log, 400, undefined, 'Invalid preupload payload: "files" must be a list');
  const files = state.commits.get(sha)?.files as Map<string, StoredBlob>;
  const gitIgnore = typeof body.gitIgnore === 'string' ? body.gitIgnore : files.has('.gitignore') ? ctx.state.bytesOf(files.get('.gitignore') as StoredBlob).toString('utf8') : undefined;
  const out: unknown[] = [];
  for (const f of body.files as Array<{ path?: unknown; sample?: unknown; size?: unknown }>) {
    if (typeof f?.path !== 'string' || typeof f.sample !== 'string' || typeof f.size !== 'number') {
      return errorReply(call.res, call.log, 400, undefined, 'Invalid preupload payload: each file needs path, sample and size');
    }
    const existing = files.get(f.path);
    out.push({
      path: f.path,
      uploadMode: ctx.uploadMode(f.path, Buffer.from(f.sample, 'base64'), f.size),
      shouldIgnore: gitIgnored(f.path, gitIgnore),
      ...(existing ? { oid: existing.lfs ? existing.sha256 : existing.gitSha1 } : {}),
    });
  }
  jsonReply(call.res, call.log, 200, { files: out, commitOid: sha });
}

/** Applies one NDJSON commit; answers what the Hub answers. */
async function commit(ctx: HubContext, call: Call, state: RepoState, rev: string): Promise<void> {
  const text = (await readBody(call.req, call.log)).toString('utf8');
  if (!state.branches.has(rev)) {
    if (ctx.state.resolve(state, rev)) return errorReply(call.res, call.log, 400, undefined, `Invalid rev id: ${rev} is not a branch`);
    return errorReply(call.res, call.log, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
  }
  const head = state.branches.get(rev) as string;
  const lines = text.split('\n').filter((l) => l.trim() !== '').map((l) => parseJson(Buffer.from(l)) as { key?: unknown; value?: Record<string, unknown> } | undefined);
  const header = lines[0];
  if (header?.key !== 'header' || typeof header.value?.['summary'] !== 'string' || header.value['summary'] === '') {
    return errorReply(call.res, call.log, 400, undefined, 'Invalid commit payload: the first line must be a header with a summary');
  }
  const parent = header.value['parentCommit'];
  if (parent !== undefined && parent !== head) {
    return errorReply(call.res, call.log, 412, undefined, 'A commit has happened since. Please refresh and try again.');
  }
  const files = new Map(state.commits.get(head)?.files);
  for (const line of lines.slice(1)) {
    const v = line?.value ?? {};
    const path = v['path'];
    if (typeof path !== 'string' || path === '' || path.startsWith('/') || path.split('/').some((s) => s === '' || s === '.' || s === '..' || s === '.git')) {
      return errorReply(call.res, call.log, 400, undefined, `Invalid path in commit: ${JSON.stringify(path)}`);
    }
    if (line?.key === 'file') {
      if (v['encoding'] !== 'base64' || typeof v['content'] !== 'string') return errorReply(call.res, call.log, 400, undefined, `Invalid file entry for ${path}`);
      const bytes = Buffer.from(v['content'], 'base64');
      if (ctx.uploadMode(path, bytes.subarray(0, 512), bytes.length) === 'lfs') {
        return errorReply(call.res, call.log, 400, undefined, `Your push was rejected because it contains binary or large files (${path}). Please use LFS.`);
      }
      files.set(path, ctx.state.blobOf(path, bytes, false));
    } else if (line?.key === 'lfsFile') {
      const oid = v['oid'];
      const stored = typeof oid === 'string' ? ctx.state.lfs.get(oid) : undefined;
      if (v['algo'] !== 'sha256' || stored === undefined || (v['size'] !== undefined && v['size'] !== stored.blob.size)) {
        return errorReply(call.res, call.log, 422, undefined, `LFS file ${path}: object ${String(oid)} was not uploaded (or has another size)`);
      }
      files.set(path, stored.blob);
    } else if (line?.key === 'deletedFile') {
      if (!files.delete(path)) return errorReply(call.res, call.log, 404, 'EntryNotFound', `A file with this name doesn't exist: ${path}`);
    } else if (line?.key === 'deletedFolder') {
      const under = [...files.keys()].filter((p) => p.startsWith(`${path}/`));
      if (under.length === 0) return errorReply(call.res, call.log, 404, 'EntryNotFound', `A folder with this name doesn't exist: ${path}`);
      for (const p of under) files.delete(p);
    } else {
      return errorReply(call.res, call.log, 400, undefined, `Invalid commit payload: unknown key ${JSON.stringify(line?.key)}`);
    }
  }
  const sha = ctx.state.commit(state, files, {
    parent: head,
    summary: header.value['summary'] as string,
    description: typeof header.value['description'] === 'string' ? header.value['description'] : '',
  });
  state.branches.set(rev, sha);
  jsonReply(call.res, call.log, 200, { success: true, commitOid: sha, commitUrl: `${ctx.endpoint}/${state.id}/commit/${sha}`, hookOutput: '' });
}

async function branch(ctx: HubContext, call: Call, state: RepoState, name: string): Promise<void> {
  const body = parseJson(await readBody(call.req, call.log)) as { startingPoint?: unknown } | undefined;
  if (call.req.method === 'DELETE') {
    if (!state.branches.has(name)) return errorReply(call.res, call.log, 404, 'RevisionNotFound', `Invalid rev id: ${name}`);
    if (name === 'main') return errorReply(call.res, call.log, 403, undefined, 'Cannot delete the default branch');
    state.branches.delete(name);
    return jsonReply(call.res, call.log, 200, {});
  }
  if (state.branches.has(name) || state.tags.has(name)) {
    return errorReply(call.res, call.log, 409, undefined, `Reference already exists: refs/heads/${name}`);
  }
  const from = typeof body?.startingPoint === 'string' ? body.startingPoint : 'main';
  const sha = ctx.state.resolve(state, from);
  if (!sha) return errorReply(call.res, call.log, 404, 'RevisionNotFound', `Invalid rev id: ${from}`);
  state.branches.set(name, sha);
  jsonReply(call.res, call.log, 200, {});
}

/** Handles `/api/...` on the Hub; `false` when the path is not an API route. */
export async function handleApi(ctx: HubContext, req: IncomingMessage, res: ServerResponse, log: LoggedRequest): Promise<boolean> {
  const url = new URL(req.url ?? '/', ctx.endpoint);
  if (!url.pathname.startsWith('/api/')) return false;
  const token = bearer(req);
  const user = ctx.state.userOf(token);
  const call: Call = { req, res, log, user, token };
  if (token !== undefined && user === undefined) {
    await readBody(req, log);
    errorReply(res, log, 401, undefined, 'Invalid credentials in Authorization header');
    return true;
  }
  if (url.pathname === '/api/whoami-v2') {
    if (!user) return errorReply(res, log, 401, undefined, 'Invalid credentials in Authorization header'), true;
    jsonReply(res, log, 200, { type: 'user', name: user.name, orgs: (user.orgs ?? []).map((name) => ({ name })), auth: { accessToken: { role: user.write === false ? 'read' : 'write' } } });
    return true;
  }
  if (url.pathname === '/api/repos/create' && req.method === 'POST') return createRepo(ctx, call).then(() => true);
  const m = /^\/api\/models\/([^/]+\/[^/]+)(?:\/(revision|tree|preupload|commit|branch)\/([^/]+)(\/.*)?)?$/.exec(url.pathname);
  if (!m) {
    errorReply(res, log, 404, undefined, `No such API route: ${req.method} ${url.pathname}`);
    return true;
  }
  const id = m[1] as string;
  const kind = m[2];
  const rev = m[3] === undefined ? 'main' : decodeURIComponent(m[3]);
  const rest = m[4] === undefined ? '' : m[4].slice(1).split('/').map(decodeURIComponent).join('/');
  const state = ctx.state.repos.get(id);
  if (!canRead(call, state)) {
    await readBody(req, log);
    notFound(call);
    return true;
  }
  const repo = state as RepoState;
  const writes = kind === 'preupload' || kind === 'commit' || kind === 'branch';
  if (writes && !ctx.state.canWrite(user, id)) {
    await readBody(req, log);
    errorReply(res, log, 403, undefined, `You don't have the rights to write to ${id}`);
    return true;
  }
  if (kind === undefined || kind === 'revision') {
    const sha = ctx.state.resolve(repo, rev);
    if (!sha) errorReply(res, log, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    else jsonReply(res, log, 200, repoInfo(ctx, repo, sha));
  } else if (kind === 'tree') {
    const sha = ctx.state.resolve(repo, rev);
    if (!sha) errorReply(res, log, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    else tree(ctx, call, repo, sha, rest.replace(/\/+$/, ''), url);
  } else if (kind === 'preupload') await preupload(ctx, call, repo, rev);
  else if (kind === 'commit') await commit(ctx, call, repo, rev);
  else await branch(ctx, call, repo, rev);
  return true;
}

