/**
 * Typed errors with actionable messages, private and gated repositories, offline mode,
 * unreachable servers and path traversal, through the loopback fake Hub.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  EntryNotFoundError,
  GatedRepoError,
  HubError,
  HubHttpError,
  KaunHfError,
  LocalEntryNotFoundError,
  NetworkError,
  OfflineError,
  RepositoryNotFoundError,
  RevisionNotFoundError,
  UnsafePathError,
  downloadFile,
} from '@raven/kaun-hf';

import { type HubServer, startHubServer } from '../helpers/hub-server.js';
import { FAST, tempDirs } from './_util.js';

/** A loopback port with nothing listening. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('Hub errors', () => {
  let hub: HubServer;
  const dirs = tempDirs();
  const saved = { ...process.env };
  beforeAll(async () => {
    hub = await startHubServer({
      repos: {
        'org/public': { files: { 'config.json': '{"a":1}' } },
        'org/private': { files: { 'config.json': '{"secret":1}', 'model.safetensors': 'SECRETBYTES' }, private: true },
        'org/gated': { files: { 'config.json': '{"gated":1}' }, gated: true },
      },
      tokens: ['hf_valid'],
      approvedTokens: ['hf_approved'],
    });
  });
  afterAll(async () => hub.close());
  afterEach(() => {
    dirs.cleanup();
    hub.requests.length = 0;
    for (const k of ['HF_TOKEN', 'HF_HUB_OFFLINE', 'HF_ENDPOINT', 'HUGGING_FACE_HUB_TOKEN']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });
  const get = (filename: string, extra: Record<string, unknown> = {}) =>
    downloadFile({
      modelId: 'org/public',
      filename,
      endpoint: hub.endpoint,
      cacheDir: dirs.make(),
      token: false,
      ...FAST,
      ...extra,
    });
  const fail = (p: Promise<unknown>) =>
    p.then(
      () => expect.unreachable('expected a rejection'),
      (e: unknown) => e as Error,
    );

  it('every Hub error is a HubError and a KaunHfError', () => {
    for (const E of [
      HubHttpError,
      RepositoryNotFoundError,
      GatedRepoError,
      RevisionNotFoundError,
      EntryNotFoundError,
      NetworkError,
      UnsafePathError,
    ]) {
      const e = new E('x');
      expect(e).toBeInstanceOf(HubError);
      expect(e).toBeInstanceOf(KaunHfError);
      expect(e.name).toBe(E.name);
    }
    expect(new OfflineError('x', { filename: 'f', cacheFolder: 'c' })).toBeInstanceOf(LocalEntryNotFoundError);
  });

  it('an unknown repository: RepositoryNotFoundError (401 RepoNotFound) that suggests HF_TOKEN', async () => {
    const err = await fail(get('config.json', { modelId: 'org/nope' }));
    expect(err).toBeInstanceOf(RepositoryNotFoundError);
    expect(err).not.toBeInstanceOf(GatedRepoError);
    expect((err as RepositoryNotFoundError).status).toBe(401);
    expect((err as RepositoryNotFoundError).errorCode).toBe('RepoNotFound');
    expect(err.message).toMatch(/^downloadFile: repository "org\/nope" was not found/);
    expect(err.message).toContain('set HF_TOKEN');
    expect((err as HubHttpError).requestId).toMatch(/^req-/);
  });

  it('a private repository needs a token: from the option or HF_TOKEN read at call time', async () => {
    const noToken = await fail(get('config.json', { modelId: 'org/private' }));
    expect(noToken).toBeInstanceOf(RepositoryNotFoundError);
    expect(noToken.message).toContain('set HF_TOKEN');
    const wrong = await fail(get('config.json', { modelId: 'org/private', token: 'hf_wrong' }));
    expect(wrong).toBeInstanceOf(RepositoryNotFoundError);
    expect(wrong.message).toContain('the token sent has no access');

    const path = await get('config.json', { modelId: 'org/private', token: 'hf_valid' });
    expect(readFileSync(path, 'utf8')).toBe('{"secret":1}');
    process.env.HF_TOKEN = 'hf_valid';
    const viaEnv = await downloadFile({
      modelId: 'org/private',
      filename: 'config.json',
      endpoint: hub.endpoint,
      cacheDir: dirs.make(),
      ...FAST,
    });
    expect(readFileSync(viaEnv, 'utf8')).toBe('{"secret":1}');
    expect(hub.requests.at(-1)?.authorization).toBe('Bearer hf_valid');
    // token: false overrides HF_TOKEN
    expect(await fail(get('config.json', { modelId: 'org/private', token: false }))).toBeInstanceOf(
      RepositoryNotFoundError,
    );
  });

  it('a gated repository: GatedRepoError without token (401) and with an unapproved one (403)', async () => {
    const anon = await fail(get('config.json', { modelId: 'org/gated' }));
    expect(anon).toBeInstanceOf(GatedRepoError);
    expect((anon as GatedRepoError).status).toBe(401);
    expect(anon.message).toContain(`request access at ${hub.endpoint}/org/gated`);
    expect(anon.message).toContain('no token was sent');
    const unapproved = await fail(get('config.json', { modelId: 'org/gated', token: 'hf_valid' }));
    expect(unapproved).toBeInstanceOf(GatedRepoError);
    expect((unapproved as GatedRepoError).status).toBe(403);
    expect(unapproved.message).toContain('not been granted access');
    expect((unapproved as GatedRepoError).serverMessage).toContain('restricted');
    const ok = await get('config.json', { modelId: 'org/gated', token: 'hf_approved' });
    expect(readFileSync(ok, 'utf8')).toBe('{"gated":1}');
  });

  it('an unknown revision: RevisionNotFoundError naming it', async () => {
    const err = await fail(get('config.json', { revision: 'v9' }));
    expect(err).toBeInstanceOf(RevisionNotFoundError);
    expect(err.message).toContain('revision "v9" was not found in repository "org/public"');
  });

  it('an unknown file: EntryNotFoundError, remembered in .no_exist so a pinned commit asks no more', async () => {
    const cacheDir = dirs.make();
    const err = await fail(get('missing.json', { cacheDir }));
    expect(err).toBeInstanceOf(EntryNotFoundError);
    expect(err.message).toContain('file "missing.json" was not found in repository "org/public" at revision "main"');
    const commit = hub.commitOf('org/public');
    expect((err as EntryNotFoundError).commit).toBe(commit);
    expect(existsSync(join(cacheDir, 'models--org--public', '.no_exist', commit, 'missing.json'))).toBe(true);
    hub.requests.length = 0;
    const again = await fail(get('missing.json', { cacheDir, revision: commit }));
    expect(again).toBeInstanceOf(EntryNotFoundError);
    expect(hub.requests).toHaveLength(0);
  });

  it('offline (option or HF_HUB_OFFLINE=1/true/yes): OfflineError naming the file and the cache folder, no request', async () => {
    const cacheDir = dirs.make();
    const err = await fail(get('config.json', { cacheDir, offline: true }));
    expect(err).toBeInstanceOf(OfflineError);
    expect((err as OfflineError).filename).toBe('config.json');
    expect((err as OfflineError).cacheFolder).toBe(join(cacheDir, 'models--org--public'));
    expect(err.message).toContain('"config.json"');
    expect(err.message).toContain(join(cacheDir, 'models--org--public'));
    for (const value of ['1', 'true', 'YES']) {
      process.env.HF_HUB_OFFLINE = value;
      expect(await fail(get('config.json', { cacheDir }))).toBeInstanceOf(OfflineError);
    }
    expect(hub.requests).toHaveLength(0);
  });

  it('offline after one online download: the branch resolves through refs/, with no request', async () => {
    const cacheDir = dirs.make();
    const online = await get('config.json', { cacheDir });
    hub.requests.length = 0;
    process.env.HF_HUB_OFFLINE = '1';
    expect(await get('config.json', { cacheDir })).toBe(online);
    expect(await get('config.json', { cacheDir, revision: hub.commitOf('org/public') })).toBe(online);
    expect(hub.requests).toHaveLength(0);
    // offline: false wins over the variable
    expect(await get('config.json', { cacheDir, offline: false })).toBe(online);
    expect(hub.requests).toHaveLength(1);
    // a branch never fetched is not guessed
    const err = await fail(get('config.json', { cacheDir, revision: 'dev' }));
    expect(err).toBeInstanceOf(OfflineError);
    expect(err.message).toContain('no commit is recorded for revision "dev"');
  });

  it('an unreachable Hub: the cached file of the branch is used; if not cached, NetworkError', async () => {
    const cacheDir = dirs.make();
    const online = await get('config.json', { cacheDir });
    const dead = `http://127.0.0.1:${await closedPort()}`;
    expect(await get('config.json', { cacheDir, endpoint: dead })).toBe(online);
    const err = await fail(get('other.json', { cacheDir, endpoint: dead }));
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).toContain('HF_HUB_OFFLINE=1');
    expect(err.message).toContain(join(cacheDir, 'models--org--public'));
  });

  it('refuses file names that would leave the snapshot before any request or write', async () => {
    const cacheDir = dirs.make();
    const bad = ['../evil', 'a/../../evil', '/etc/passwd', 'a\\..\\evil', 'a//b', '', './a', 'a/.', 'C:/x', 'a\0b'];
    for (const filename of bad) {
      const err = await fail(get(filename, { cacheDir }));
      expect(err, filename).toBeInstanceOf(UnsafePathError);
      expect(err.message).toMatch(/^downloadFile: refusing file name/);
    }
    for (const revision of ['../../x', 'a/../../b', '/abs']) {
      expect(await fail(get('config.json', { cacheDir, revision }))).toBeInstanceOf(UnsafePathError);
    }
    expect(hub.requests).toHaveLength(0);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('refuses a commit or ETag from the server that is not a plain name', async () => {
    const evil = await startHubServer({
      repos: { 'org/r': { files: { 'config.json': '{}' } } },
      onRequest: (r) =>
        r.method === 'HEAD'
          ? { status: 200, headers: { 'X-Repo-Commit': '../../../../tmp', ETag: '"abc"', 'Content-Length': '2' } }
          : undefined,
    });
    try {
      const cacheDir = dirs.make();
      const err = await fail(
        downloadFile({ modelId: 'org/r', filename: 'config.json', endpoint: evil.endpoint, cacheDir, ...FAST }),
      );
      expect(err).toBeInstanceOf(UnsafePathError);
      expect(err.message).toContain('X-Repo-Commit');
      expect(readdirSync(cacheDir)).toEqual([]);
    } finally {
      await evil.close();
    }
  });

  it('a server that is not a Hub (no X-Repo-Commit) gets a HubError that says so', async () => {
    const plain = await startHubServer({
      repos: {},
      onRequest: () => ({ status: 200, headers: { ETag: '"x"' }, body: 'hello' }),
    });
    try {
      const err = await fail(
        downloadFile({
          modelId: 'org/r',
          filename: 'config.json',
          endpoint: plain.endpoint,
          cacheDir: dirs.make(),
          ...FAST,
        }),
      );
      expect(err).toBeInstanceOf(HubError);
      expect(err.message).toContain('no X-Repo-Commit');
      expect(err.message).toContain('HF_ENDPOINT');
    } finally {
      await plain.close();
    }
  });

  it('a malformed repository id is refused with the expected form', async () => {
    for (const modelId of ['org/--x', 'org/a..b', 'org name', 'org/-x', 'org/x.']) {
      const err = await fail(get('config.json', { modelId }));
      expect(err, modelId).toBeInstanceOf(HubError);
      expect(err.message).toContain('expected a repository id like "org/name"');
    }
  });

  it('a path that looks local but does not exist says "no such folder", without a request', async () => {
    const before = hub.requests.length;
    for (const modelId of ['a/b/c', './missing-model', '../missing-model', '/no/such/folder', 'org/name/']) {
      const err = await fail(get('config.json', { modelId }));
      expect(err, modelId).toBeInstanceOf(HubError);
      expect(err.message, modelId).toContain(`no such folder: "${modelId}"`);
    }
    expect(hub.requests.length).toBe(before);
  });
});
