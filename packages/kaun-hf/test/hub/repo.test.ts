/**
 * Repositories against the loopback Hub: createRepo (namespaces, private, existOk, refusals),
 * repoInfo, listRepoTree/listRepoFiles (pagination), createBranch/deleteBranch; bad input
 * refused before any request.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  AuthenticationError,
  ConflictError,
  createBranch,
  createRepo,
  deleteBranch,
  HubError,
  listRepoFiles,
  listRepoTree,
  PermissionDeniedError,
  repoInfo,
  RepositoryNotFoundError,
  RevisionNotFoundError,
} from '@raven/kaun-hf';
import * as nx from '@raven/nx';

import { type HubServer, startHubServer } from '../helpers/hub-server.js';
import { FAST, rejection, USERS } from './_util.js';

describe('repositories', () => {
  let hub: HubServer;
  beforeAll(async () => {
    hub = await startHubServer({
      repos: {
        'org/files': { files: { 'a.txt': 'a', 'b/c.txt': 'c', 'b/d/e.txt': 'e', 'w.safetensors': 'weights' }, branches: { dev: { 'x.txt': 'x' } } },
        'org/hidden': { files: { 'a.txt': 'a' }, private: true },
      },
      users: USERS,
      pageSize: 2,
    });
  });
  afterAll(async () => hub.close());
  afterEach(() => {
    hub.requests.length = 0;
  });
  const as = (token: string | false) => ({ endpoint: hub.endpoint, token, ...{ retry: FAST.retry } });

  it('creates a repository in the namespace given, or the token owner\'s for a bare name', async () => {
    const a = await createRepo('org/new-model', as('hf_alice'));
    expect(a).toEqual({ url: `${hub.endpoint}/org/new-model`, repoId: 'org/new-model' });
    const b = await createRepo('bare', { ...as('hf_alice'), private: true });
    expect(b.repoId).toBe('alice/bare');
    expect(hub.repoState('alice/bare')).toEqual({ private: true });
    expect(hub.repoState('org/new-model')).toEqual({ private: false });
    // a new repository starts with .gitattributes on main, as on the Hub
    expect(await listRepoFiles('org/new-model', as('hf_alice'))).toEqual(['.gitattributes']);
    const create = hub.requests.find((r) => r.path === '/api/repos/create');
    expect(create?.authorization).toBe('Bearer hf_alice');
  });

  it('an existing repository is a ConflictError, or fine with existOk', async () => {
    await createRepo('org/twice', as('hf_alice'));
    const err = await rejection(createRepo('org/twice', as('hf_alice')));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err.message).toContain('HTTP 409');
    expect(await createRepo('org/twice', { ...as('hf_alice'), existOk: true })).toEqual({ url: `${hub.endpoint}/org/twice`, repoId: 'org/twice' });
  });

  it('existOk also accepts a refused create when the repository can be seen (a read-only token)', async () => {
    expect((await createRepo('org/files', { ...as('hf_reader'), existOk: true })).repoId).toBe('org/files');
    const err = await rejection(createRepo('org/not-there', { ...as('hf_reader'), existOk: true }));
    expect(err).toBeInstanceOf(PermissionDeniedError);
  });

  it('refuses: no token (before any request), an invalid token (401), another namespace (403)', async () => {
    const none = await rejection(createRepo('org/x', as(false)));
    expect(none).toBeInstanceOf(AuthenticationError);
    expect(none.message).toContain('HF_TOKEN');
    expect(hub.requests).toEqual([]);
    const bad = await rejection(createRepo('org/x', as('hf_expired')));
    expect(bad).toBeInstanceOf(AuthenticationError);
    expect(bad.message).toMatch(/refused the token.*HTTP 401/);
    const other = await rejection(createRepo('org/x', as('hf_bob')));
    expect(other).toBeInstanceOf(PermissionDeniedError);
    expect((other as PermissionDeniedError).status).toBe(403);
    expect(other.message).toContain('"org"');
  });

  it('refuses malformed ids and unknown options before any request', async () => {
    for (const id of ['org/na me', 'a/b/c', 'org/../x', 'org/-x', '', 'org/x' + 'y'.repeat(96)]) {
      const err = await rejection(createRepo(id, as('hf_alice')));
      expect(err, id).toBeInstanceOf(HubError);
      expect(err.message, id).toContain('expected a repository id');
    }
    const typo = await rejection(createRepo('org/x', { ...as('hf_alice'), privte: true } as never));
    expect(typo).toBeInstanceOf(nx.OptionError);
    expect(typo.message).toContain('did you mean "private"');
    expect(hub.requests).toEqual([]);
  });

  it('repoInfo: the commit of a revision, visibility and files', async () => {
    const info = await repoInfo('org/files', as('hf_alice'));
    expect(info).toMatchObject({ id: 'org/files', sha: hub.commitOf('org/files'), private: false, gated: false });
    expect(info.files).toEqual(['a.txt', 'b/c.txt', 'b/d/e.txt', 'w.safetensors']);
    expect((await repoInfo('org/files', { ...as(false), revision: 'dev' })).sha).toBe(hub.commitOf('org/files', 'dev'));
    expect(await rejection(repoInfo('org/files', { ...as(false), revision: 'nope' }))).toBeInstanceOf(RevisionNotFoundError);
    expect(await rejection(repoInfo('org/hidden', as(false)))).toBeInstanceOf(RepositoryNotFoundError);
    expect((await repoInfo('org/hidden', as('hf_bob'))).private).toBe(true);
  });

  it('listRepoTree follows every page (Link rel=next) and reports LFS files', async () => {
    const top = await listRepoTree('org/files', as(false));
    expect(top.map((e) => `${e.type}:${e.path}`)).toEqual(['directory:b', 'file:a.txt', 'file:w.safetensors']);
    const all = await listRepoTree('org/files', { ...as(false), recursive: true });
    expect(all.filter((e) => e.type === 'file').map((e) => e.path)).toEqual(['a.txt', 'b/c.txt', 'b/d/e.txt', 'w.safetensors']);
    const pages = hub.requests.filter((r) => r.path.includes('/tree/'));
    expect(pages.length).toBeGreaterThanOrEqual(4); // 3 entries + 6 entries at 2 per page
    const w = all.find((e) => e.path === 'w.safetensors');
    expect(w).toMatchObject({ size: 7, lfs: { sha256: hub.etagOf('org/files', 'w.safetensors'), size: 7 } });
    const sub = await listRepoTree('org/files', { ...as(false), pathInRepo: 'b', recursive: true });
    expect(sub.filter((e) => e.type === 'file').map((e) => e.path)).toEqual(['b/c.txt', 'b/d/e.txt']);
    expect(await listRepoFiles('org/files', { ...as(false), revision: 'dev' })).toEqual(['x.txt']);
  });

  it('createBranch from a revision; an existing branch is a ConflictError unless existOk; deleteBranch', async () => {
    await createRepo('org/branchy', as('hf_alice'));
    await createBranch('org/branchy', 'exp', as('hf_alice'));
    expect(hub.commitOf('org/branchy', 'exp')).toBe(hub.commitOf('org/branchy'));
    const err = await rejection(createBranch('org/branchy', 'exp', as('hf_alice')));
    expect(err).toBeInstanceOf(ConflictError);
    await createBranch('org/branchy', 'exp', { ...as('hf_alice'), existOk: true });
    await createBranch('org/files', 'from-dev', { ...as('hf_alice'), revision: 'dev' });
    expect(hub.commitOf('org/files', 'from-dev')).toBe(hub.commitOf('org/files', 'dev'));
    await deleteBranch('org/files', 'from-dev', as('hf_alice'));
    expect(await rejection(repoInfo('org/files', { ...as(false), revision: 'from-dev' }))).toBeInstanceOf(RevisionNotFoundError);
    expect(await rejection(createBranch('org/files', 'x', as('hf_bob')))).toBeInstanceOf(PermissionDeniedError);
    expect(await rejection(createBranch('org/files', '../x', as('hf_alice')))).toBeInstanceOf(HubError);
  });
});
