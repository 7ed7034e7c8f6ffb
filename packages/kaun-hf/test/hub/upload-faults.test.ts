/**
 * Uploads under faults, against the loopback Hub: a multipart part failing once or cut off
 * mid-body (retried, bytes exact), an interrupted upload run again (nothing sent twice), refused
 * tokens (401), writes without rights (403), a branch that moved (412), a redirect off the Hub.
 */
import { readFileSync } from 'node:fs';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  AuthenticationError,
  ConflictError,
  createRepo,
  downloadFile,
  HubHttpError,
  PermissionDeniedError,
  uploadFile,
  uploadFolder,
} from '@raven/kaun-hf';

import { type FaultAction, type FakeRequest, type HubServer, startHubServer } from '../helpers/hub-server.js';
import { FAST, noise, rejection, sha256Of, tempDirs, USERS, writeTree } from './_util.js';

describe('uploads under faults', () => {
  let hub: HubServer;
  let fault: ((r: FakeRequest) => FaultAction | undefined) | undefined;
  const dirs = tempDirs();
  beforeAll(async () => {
    hub = await startHubServer({ repos: {}, users: USERS, multipartThreshold: 100_000, chunkSize: 64_000, onRequest: (r) => fault?.(r) });
  });
  afterAll(async () => hub.close());
  afterEach(() => {
    dirs.cleanup();
    hub.requests.length = 0;
    fault = undefined;
  });
  const opts = (token = 'hf_alice') => ({ endpoint: hub.endpoint, token, retry: FAST.retry });
  const back = async (repo: string, filename: string) =>
    readFileSync(await downloadFile({ modelId: repo, filename, endpoint: hub.endpoint, cacheDir: dirs.make(), token: 'hf_alice' }));
  const puts = (match: RegExp) => hub.requests.filter((r) => r.server === 'cdn' && r.method === 'PUT' && match.test(r.path));
  /** Fails the first request matching `test` with `action`, then lets the others through. */
  const once = (test: (r: FakeRequest) => boolean, action: FaultAction) => {
    let done = false;
    fault = (r) => {
      if (done || !test(r)) return undefined;
      done = true;
      return action;
    };
  };

  it('a multipart part failing once (500) is sent again, alone; the object is exact', async () => {
    await createRepo('org/part-500', opts());
    const bytes = noise(300_000, 21);
    once((r) => r.method === 'PUT' && r.path.includes('/part/2?'), { status: 500, body: 'InternalError' });
    await uploadFile('org/part-500', { ...opts(), source: bytes, pathInRepo: 'model.safetensors' });
    for (const n of [1, 3, 4, 5]) expect(puts(new RegExp(`/part/${n}\\?`)), `part ${n}`).toHaveLength(1);
    const part2 = puts(/\/part\/2\?/);
    expect(part2.map((r) => r.status)).toEqual([500, 200]);
    expect(part2[1]?.bodyBytes).toBe(64_000);
    expect(sha256Of(await back('org/part-500', 'model.safetensors'))).toBe(sha256Of(bytes));
  });

  it('a part whose connection drops mid-body is sent again from its start', async () => {
    await createRepo('org/part-cut', opts());
    const bytes = noise(200_000, 22);
    once((r) => r.method === 'PUT' && r.path.includes('/part/3?'), { cutUploadAfter: 20_000 });
    await uploadFile('org/part-cut', { ...opts(), source: bytes, pathInRepo: 'w.bin' });
    expect(puts(/\/part\/3\?/)).toHaveLength(2);
    expect(sha256Of(await back('org/part-cut', 'w.bin'))).toBe(sha256Of(bytes));
  });

  it('a commit that fails is not retried; running the upload again sends no LFS byte twice', async () => {
    await createRepo('org/interrupted', opts());
    const folder = writeTree(dirs.make(), { 'config.json': '{}', 'a.safetensors': noise(150_000, 23), 'b.safetensors': noise(20_000, 24) });
    once((r) => r.method === 'POST' && r.path.includes('/commit/'), { status: 500, body: '{"error":"Internal Error"}' });
    const err = await rejection(uploadFolder(folder, 'org/interrupted', opts()));
    expect(err).toBeInstanceOf(HubHttpError);
    expect((err as HubHttpError).status).toBe(500);
    expect(hub.requests.filter((r) => r.path.includes('/commit/'))).toHaveLength(1); // never sent twice
    const firstBytes = puts(/./).reduce((n, r) => n + (r.bodyBytes ?? 0), 0);
    expect(firstBytes).toBe(170_000);
    hub.requests.length = 0;
    const info = await uploadFolder(folder, 'org/interrupted', opts());
    expect(info).toMatchObject({ committed: true, uploaded: [] });
    expect(puts(/./)).toEqual([]);
    expect(sha256Of(await back('org/interrupted', 'a.safetensors'))).toBe(sha256Of(noise(150_000, 23)));
  });

  it('a transfer refused by storage stops the upload; run again, only the missing object is sent', async () => {
    await createRepo('org/half', opts());
    const folder = writeTree(dirs.make(), { 'a.safetensors': noise(30_000, 25), 'b.safetensors': noise(40_000, 26) });
    const bOid = sha256Of(noise(40_000, 26));
    fault = (r) => (r.method === 'PUT' && r.path.includes(bOid) ? { status: 403, body: '<Error><Code>AccessDenied</Code></Error>' } : undefined);
    const err = await rejection(uploadFolder(folder, 'org/half', { ...opts(), concurrency: 1 }));
    expect(err).toBeInstanceOf(HubHttpError);
    expect(err.message).toContain('storage refused "b.safetensors"');
    expect(err.message).toContain('run the upload again');
    expect(hub.files('org/half')).toEqual(['.gitattributes']);
    fault = undefined;
    hub.requests.length = 0;
    await uploadFolder(folder, 'org/half', opts());
    expect(puts(/./).map((r) => r.path.includes(bOid))).toEqual([true]);
    expect(hub.files('org/half')).toEqual(['.gitattributes', 'a.safetensors', 'b.safetensors']);
  });

  it('storage answering 503 with Retry-After is retried', async () => {
    await createRepo('org/busy', opts());
    once((r) => r.method === 'PUT', { status: 503, headers: { 'Retry-After': '0' } });
    await uploadFile('org/busy', { ...opts(), source: noise(1000, 27), pathInRepo: 'x.bin' });
    expect(puts(/./).map((r) => r.status)).toEqual([503, 200]);
  });

  it('a slow upload is not cut by the time limit meant for answers (it grows with the body)', async () => {
    // a basic (single PUT) transfer of 8 MB that storage reads at about 3 MB/s, with a 500 ms limit
    const slow = await startHubServer({ repos: {}, users: USERS, onRequest: (r) => (r.method === 'PUT' ? { slowUpload: { delayMs: 20 } } : undefined) });
    try {
      const o = { endpoint: slow.endpoint, token: 'hf_alice', timeoutMs: 500, retry: { maxRetries: 0 } };
      await createRepo('org/slow', o);
      const bytes = noise(8_000_000, 28);
      const t0 = Date.now();
      await uploadFile('org/slow', { ...o, source: bytes, pathInRepo: 'slow.bin' });
      expect(Date.now() - t0).toBeGreaterThan(1000); // the body took longer than timeoutMs, and that is fine
      const path = await downloadFile({ modelId: 'org/slow', filename: 'slow.bin', endpoint: slow.endpoint, cacheDir: dirs.make(), token: 'hf_alice' });
      expect(sha256Of(readFileSync(path))).toBe(sha256Of(bytes));
    } finally {
      await slow.close();
    }
  });

  it('an expired or invalid token is an AuthenticationError (401), before anything is uploaded', async () => {
    const err = await rejection(uploadFile('org/any', { ...opts('hf_expired'), source: noise(10), pathInRepo: 'x.bin' }));
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).status).toBe(401);
    expect(err.message).toContain('https://huggingface.co/settings/tokens');
    expect(hub.requests.filter((r) => r.server === 'cdn')).toEqual([]);
  });

  it('writing without rights is a PermissionDeniedError (403): a read-only token, another namespace', async () => {
    await createRepo('org/guarded', opts());
    for (const token of ['hf_reader', 'hf_bob']) {
      const err = await rejection(uploadFile('org/guarded', { ...opts(token), source: noise(10), pathInRepo: 'x.bin' }));
      expect(err, token).toBeInstanceOf(PermissionDeniedError);
      expect(err.message, token).toContain('write access');
    }
    expect(hub.requests.filter((r) => r.server === 'cdn')).toEqual([]);
    expect(hub.files('org/guarded')).toEqual(['.gitattributes']);
  });

  it('a branch that moved since parentCommit is a ConflictError (412); nothing is overwritten', async () => {
    await createRepo('org/moving', opts());
    const base = hub.commitOf('org/moving');
    await uploadFile('org/moving', { ...opts(), source: new TextEncoder().encode('theirs'), pathInRepo: 'a.txt' });
    const head = hub.commitOf('org/moving');
    const err = await rejection(uploadFile('org/moving', { ...opts(), source: new TextEncoder().encode('mine'), pathInRepo: 'a.txt', parentCommit: base }));
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).status).toBe(412);
    expect(hub.commitOf('org/moving')).toBe(head);
    expect((await back('org/moving', 'a.txt')).toString()).toBe('theirs');
    await uploadFile('org/moving', { ...opts(), source: new TextEncoder().encode('mine'), pathInRepo: 'a.txt', parentCommit: head });
    expect((await back('org/moving', 'a.txt')).toString()).toBe('mine');
  });

  it('a redirect of a write to another host is not followed: the token never leaves the Hub', async () => {
    await createRepo('org/redirected', opts());
    once((r) => r.path.includes('/preupload/'), { status: 307, headers: { Location: `${hub.cdnEndpoint}/api/models/org/redirected/preupload/main` } });
    const err = await rejection(uploadFile('org/redirected', { ...opts(), source: noise(10), pathInRepo: 'x.bin' }));
    expect(err).toBeInstanceOf(HubHttpError);
    expect((err as HubHttpError).status).toBe(307);
    expect(hub.requests.filter((r) => r.server === 'cdn')).toEqual([]);
  });
});
