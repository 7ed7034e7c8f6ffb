/**
 * Dropped connections, servers that ignore Range, 429/5xx with Retry-After, corrupted bytes:
 * every case through real HTTP to the loopback fake Hub.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { HubHttpError, IntegrityError, NetworkError, downloadFile } from '@raven/kaun-hf';

import { type FaultAction, type FakeRequest, type HubServer, startHubServer } from '../helpers/hub-server.js';
import { FAST, tempDirs } from './_util.js';

const BIG = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31 + (i >> 8)) % 256));
const SHA = createHash('sha256').update(BIG).digest('hex');
/**
 * Cut the connection after `n` bytes, sent in 10 kB pieces so the client consumes them as they
 * come: bytes still buffered when the socket dies are dropped by the client (and fetched again),
 * so only "resumes somewhere in (0, n]" is guaranteed.
 */
const cut = (n: number): FaultAction => ({ cutAfter: n, throttle: { chunk: 10_000, delayMs: 15 } });
const rangeStart = (range: string | undefined): number => Number(/^bytes=(\d+)-$/.exec(range ?? '')?.[1] ?? 0);

describe('downloadFile resilience', () => {
  const dirs = tempDirs();
  const servers: HubServer[] = [];
  afterEach(async () => {
    dirs.cleanup();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  /** A hub with one LFS file (via the CDN) and one regular file, and a fault hook. */
  async function hubWith(onRequest: (r: FakeRequest) => FaultAction | undefined) {
    const hub = await startHubServer({
      repos: { 'org/r': { files: { 'model.safetensors': BIG, 'big.txt': BIG } } },
      isLfs: (p) => p.endsWith('.safetensors'),
      onRequest,
    });
    servers.push(hub);
    return hub;
  }
  const get = (hub: HubServer, cacheDir: string, filename: string, extra: object = {}) =>
    downloadFile({ modelId: 'org/r', filename, endpoint: hub.endpoint, cacheDir, ...FAST, ...extra });

  it('resumes with Range after the connection is cut mid-file, and the file is byte-identical', async () => {
    let cdnGets = 0;
    const hub = await hubWith((r) =>
      r.server === 'cdn' && r.method === 'GET' && ++cdnGets === 1 ? cut(100_000) : undefined,
    );
    const cacheDir = dirs.make();
    const path = await get(hub, cacheDir, 'model.safetensors');
    expect(readFileSync(path).equals(BIG)).toBe(true);
    const gets = hub.requests.filter((r) => r.server === 'cdn');
    expect(gets).toHaveLength(2);
    expect(gets[0]?.range).toBeUndefined();
    const start = rangeStart(gets[1]?.range);
    expect(start).toBeGreaterThan(0);
    expect(start).toBeLessThanOrEqual(100_000);
    expect(gets[1]?.status).toBe(206);
    expect(readdirSync(join(cacheDir, 'models--org--r', 'blobs'))).toEqual([SHA]);
  });

  it('resumes a regular (non-LFS) file served by the Hub itself', async () => {
    let n = 0;
    const hub = await hubWith((r) => (r.server === 'hub' && r.method === 'GET' && ++n <= 2 ? cut(50_000) : undefined));
    const path = await get(hub, dirs.make(), 'big.txt');
    expect(readFileSync(path).equals(BIG)).toBe(true);
    const starts = hub.requests.filter((r) => r.method === 'GET').map((r) => rangeStart(r.range));
    expect(starts).toHaveLength(3);
    expect(starts[0]).toBe(0);
    expect(starts[1]).toBeGreaterThan(0);
    expect(starts[2]).toBeGreaterThan(starts[1] as number);
    expect(starts[2]).toBeLessThanOrEqual((starts[1] as number) + 50_000);
  });

  it('starts over when the server answers 200 to a Range request', async () => {
    let n = 0;
    const hub = await hubWith((r) => {
      if (r.server !== 'cdn' || r.method !== 'GET') return undefined;
      n++;
      return n === 1 ? cut(120_000) : { ignoreRange: true };
    });
    const path = await get(hub, dirs.make(), 'model.safetensors');
    expect(readFileSync(path).equals(BIG)).toBe(true);
    const gets = hub.requests.filter((r) => r.server === 'cdn');
    expect(gets.map((r) => r.status)).toEqual([200, 200]);
    expect(gets[0]?.range).toBeUndefined();
    expect(rangeStart(gets[1]?.range)).toBeGreaterThan(0); // asked to resume, got the whole file, started over
  });

  it('resumes a download a previous process left in blobs/<etag>.raven.incomplete', async () => {
    const hub = await hubWith(() => undefined);
    const cacheDir = dirs.make();
    const blobs = join(cacheDir, 'models--org--r', 'blobs');
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${SHA}.raven.incomplete`), BIG.subarray(0, 70_000));
    const path = await get(hub, cacheDir, 'model.safetensors');
    expect(readFileSync(path).equals(BIG)).toBe(true);
    expect(hub.requests.filter((r) => r.server === 'cdn').map((r) => r.range)).toEqual(['bytes=70000-']);
  });

  it('restarts from zero when kept partial bytes turn out wrong (sha256 of the whole fails once)', async () => {
    const hub = await hubWith(() => undefined);
    const cacheDir = dirs.make();
    const blobs = join(cacheDir, 'models--org--r', 'blobs');
    mkdirSync(blobs, { recursive: true });
    writeFileSync(join(blobs, `${SHA}.raven.incomplete`), Buffer.alloc(70_000, 0xab)); // garbage
    const path = await get(hub, cacheDir, 'model.safetensors');
    expect(readFileSync(path).equals(BIG)).toBe(true);
    expect(hub.requests.filter((r) => r.server === 'cdn').map((r) => r.range)).toEqual(['bytes=70000-', undefined]);
  });

  it('waits for Retry-After on 429, then succeeds', async () => {
    let n = 0;
    const hub = await hubWith((r) =>
      r.server === 'hub' && ++n === 1 ? { status: 429, headers: { 'Retry-After': '1' } } : undefined,
    );
    const t0 = Date.now();
    const path = await get(hub, dirs.make(), 'big.txt');
    const elapsed = Date.now() - t0;
    expect(readFileSync(path).equals(BIG)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(950); // baseDelayMs is 1 ms: only Retry-After explains the wait
    expect(hub.requests.map((r) => `${r.method} ${r.status}`)).toEqual(['HEAD 429', 'HEAD 200', 'GET 200']);
  });

  it('retries 5xx and dropped connections on the CDN with backoff, then succeeds', async () => {
    let n = 0;
    const hub = await hubWith((r) => {
      if (r.server !== 'cdn') return undefined;
      n++;
      return n === 1 ? { status: 503 } : n === 2 ? { destroy: true } : n === 3 ? { status: 502 } : undefined;
    });
    const path = await get(hub, dirs.make(), 'model.safetensors');
    expect(readFileSync(path).equals(BIG)).toBe(true);
    expect(n).toBe(4);
  });

  it('gives up after maxRetries with a typed error: HubHttpError for 503, NetworkError for dropped connections', async () => {
    const hub = await hubWith((r) => (r.server === 'cdn' ? { status: 503 } : undefined));
    const cacheDir = dirs.make();
    const err = await get(hub, cacheDir, 'model.safetensors', { retry: { maxRetries: 2, baseDelayMs: 1 } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HubHttpError);
    expect((err as HubHttpError).status).toBe(503);
    expect((err as Error).message).toMatch(/after every retry/);
    expect(hub.requests.filter((r) => r.server === 'cdn')).toHaveLength(3);

    const cut = await hubWith((r) => (r.server === 'cdn' ? { destroy: true } : undefined));
    const err2 = await get(cut, cacheDir, 'model.safetensors', { retry: { maxRetries: 2, baseDelayMs: 1 } }).catch(
      (e: unknown) => e,
    );
    expect(err2).toBeInstanceOf(NetworkError);
    expect(cut.requests.filter((r) => r.server === 'cdn')).toHaveLength(3);
  });

  it('keeps resuming while each attempt makes progress, although maxRetries is 1', async () => {
    let n = 0;
    // every attempt is cut after 40 kB: progress every time, so it finishes
    const hub = await hubWith((r) => (r.server === 'cdn' && r.method === 'GET' && ++n < 100 ? cut(40_000) : undefined));
    const path = await get(hub, dirs.make(), 'model.safetensors', { retry: { maxRetries: 1, baseDelayMs: 1 } });
    expect(readFileSync(path).equals(BIG)).toBe(true);
    expect(hub.requests.filter((r) => r.server === 'cdn').length).toBeGreaterThanOrEqual(
      Math.ceil(BIG.length / 40_000),
    );
  });

  it('a stalled connection times out (timeoutMs) and the download resumes', async () => {
    let n = 0;
    const hub = await hubWith((r) =>
      r.server === 'cdn' && r.method === 'GET' && ++n === 1
        ? { throttle: { chunk: 60_000, delayMs: 3_000 } }
        : undefined,
    );
    const t0 = Date.now();
    const path = await get(hub, dirs.make(), 'model.safetensors', { timeoutMs: 300 });
    expect(readFileSync(path).equals(BIG)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2_500);
    const ranges = hub.requests.filter((r) => r.server === 'cdn').map((r) => r.range);
    expect(ranges).toHaveLength(2);
    expect(ranges[0]).toBeUndefined();
    expect(rangeStart(ranges[1])).toBeGreaterThan(0);
    expect(rangeStart(ranges[1])).toBeLessThanOrEqual(60_000);
  });

  it('an abort stops the download, frees the lock and keeps the partial file for later', async () => {
    const hub = await hubWith((r) => (r.server === 'cdn' ? { throttle: { chunk: 20_000, delayMs: 50 } } : undefined));
    const cacheDir = dirs.make();
    const controller = new AbortController();
    const blobs = join(cacheDir, 'models--org--r', 'blobs');
    const p = get(hub, cacheDir, 'model.safetensors', {
      signal: controller.signal,
      onProgress: (e: { downloaded: number }) => {
        if (e.downloaded >= 40_000) controller.abort();
      },
    });
    const err = await p.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.name).toBe('AbortError');
    expect(readdirSync(blobs)).toEqual([`${SHA}.raven.incomplete`]);
    const path = await get(hub, cacheDir, 'model.safetensors');
    expect(readFileSync(path).equals(BIG)).toBe(true);
    expect(hub.requests.filter((r) => r.server === 'cdn').at(-1)?.range).toMatch(/^bytes=\d+-$/);
  });

  it('rejects bytes whose sha256 differs from the LFS ETag and leaves no file behind', async () => {
    const hub = await hubWith((r) => (r.server === 'cdn' ? { corrupt: true } : undefined));
    const cacheDir = dirs.make();
    const err = await get(hub, cacheDir, 'model.safetensors').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as Error).message).toContain(SHA);
    const repoDir = join(cacheDir, 'models--org--r');
    expect(readdirSync(join(repoDir, 'blobs'))).toEqual([]);
    expect(existsSync(join(repoDir, 'snapshots'))).toBe(false);
  });

  it('rejects a body longer than the size announced by the metadata request', async () => {
    const other = await hubWith(() => undefined);
    // HEAD says a.txt has 3 bytes; the GET is redirected to a 300 kB file
    const hub = await startHubServer({
      repos: { 'org/r': { files: { 'a.txt': 'abc' } } },
      onRequest: (r) =>
        r.method === 'GET'
          ? { status: 302, headers: { Location: `${other.endpoint}/org/r/resolve/main/big.txt` } }
          : undefined,
    });
    servers.push(hub);
    const cacheDir = dirs.make();
    const err = await get(hub, cacheDir, 'a.txt').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as Error).message).toMatch(/more than the 3 bytes/);
    expect(readdirSync(join(cacheDir, 'models--org--r', 'blobs'))).toEqual([]);
  });
});
