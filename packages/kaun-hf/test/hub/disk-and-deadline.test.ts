/**
 * Downloads that run out of room, partial files in the cache, and time limits (issue 13, items
 * 9 and 10), with real faults:
 * - a full disk: the partial file's path is a symlink to `/dev/full`, on which every write(2)
 *   fails with the kernel's own ENOSPC (no small file system can be mounted without root);
 * - a file size limit: a child process under `ulimit -f` whose writes past the limit fail with
 *   the kernel's EFBIG, leaving a real partial file on disk;
 * - a server that trickles one byte every 400 ms, and one that never answers (real sockets).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { DeadlineExceededError, HubDiskFullError, NetworkError, clearCache, downloadFile, listCache, resolveHubConfig } from '@raven/kaun-hf';

import { main } from '../../src/cli/main.js';
import { type FaultAction, type FakeRequest, type HubServer, startHubServer } from '../helpers/hub-server.js';
import { FAST, rejection, tempDirs } from './_util.js';

const BIG = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 17 + (i >> 9)) % 256));
const SHA = createHash('sha256').update(BIG).digest('hex');
const CHILD = fileURLToPath(new URL('./child-download.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

describe('downloads that run out of room', () => {
  const dirs = tempDirs();
  const servers: HubServer[] = [];
  afterEach(async () => {
    dirs.cleanup();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  async function hubWith(onRequest?: (r: FakeRequest) => FaultAction | undefined) {
    const hub = await startHubServer({
      repos: { 'org/r': { files: { 'model.safetensors': BIG, 'config.json': '{"a": 1}' } } },
      isLfs: (p) => p.endsWith('.safetensors'),
      ...(onRequest ? { onRequest } : {}),
    });
    servers.push(hub);
    return hub;
  }

  it.skipIf(!existsSync('/dev/full'))('a full disk (the kernel\'s ENOSPC) removes the partial file and says how many bytes the file needs', async () => {
    const hub = await hubWith();
    const cacheDir = dirs.make();
    const blobs = join(cacheDir, 'models--org--r', 'blobs');
    mkdirSync(blobs, { recursive: true });
    const partial = join(blobs, `${SHA}.raven.incomplete`);
    symlinkSync('/dev/full', partial); // every write to it fails with ENOSPC
    const err = await rejection(downloadFile({ modelId: 'org/r', filename: 'model.safetensors', endpoint: hub.endpoint, cacheDir, ...FAST }));
    expect(err).toBeInstanceOf(HubDiskFullError);
    const full = err as HubDiskFullError;
    expect(full.bytesNeeded).toBe(BIG.length);
    expect(full.path).toBe(partial);
    expect(typeof full.bytesFree).toBe('number');
    expect(full.message).toMatch(/^downloadFile: no space is left on the device while downloading "model\.safetensors" of "org\/r"/);
    expect(full.message).toContain(`needs 0.30 MB (${BIG.length} bytes`);
    expect(full.message).toMatch(/MB are free there now\. The partial file was removed/);
    expect((full.cause as { code?: string }).code).toBe('ENOSPC');
    expect(readdirSync(blobs)).toEqual([]); // no partial file, no lock
    // the disk does not stay full: the next download works
    const path = await downloadFile({ modelId: 'org/r', filename: 'model.safetensors', endpoint: hub.endpoint, cacheDir, ...FAST });
    expect(readFileSync(path).equals(BIG)).toBe(true);
  });

  it('a file size limit (ulimit -f, the kernel\'s EFBIG) in a child process: typed error, partial file removed', async () => {
    const hub = await hubWith((r) => (r.server === 'cdn' ? { throttle: { chunk: 20_000, delayMs: 5 } } : undefined));
    const cacheDir = dirs.make();
    // ulimit -f counts 1024-byte blocks: 100 blocks = 102,400 bytes, a third of the file
    const child = spawn('bash', ['-c', `ulimit -f 100 && exec "$0" "$@"`, process.execPath, '--conditions=source', '--import', TSX, CHILD, 'org/r', 'model.safetensors', cacheDir, hub.endpoint], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).not.toBe(0);
    expect(stderr).toContain('HubDiskFullError');
    expect(stderr).toMatch(/the file size limit of this process \(ulimit -f\) or of the file system was reached while downloading "model\.safetensors"/);
    expect(stderr).toMatch(/the file needs 0\.30 MB \(300000 bytes; 0\.1\d MB were written\)/); // the limit is at 0.1024 MB
    const blobs = join(cacheDir, 'models--org--r', 'blobs');
    expect(readdirSync(blobs)).toEqual([]); // the 102,400 bytes written were removed, and the lock
  }, 60_000);

  it('cache ls lists partial files; clearCache({ incomplete }) and `cache clear --incomplete` remove those no process writes', async () => {
    const hub = await hubWith();
    const cacheDir = dirs.make();
    await downloadFile({ modelId: 'org/r', filename: 'config.json', endpoint: hub.endpoint, cacheDir, ...FAST });
    const blobs = join(cacheDir, 'models--org--r', 'blobs');
    const old = new Date(Date.now() - 3_600_000);
    const mine = join(blobs, `${'a'.repeat(64)}.raven.incomplete`); // a killed Raven download
    const python = join(blobs, `${'b'.repeat(64)}.1a2b3c4d.incomplete`); // a killed huggingface_hub download
    const busy = join(blobs, `${'c'.repeat(64)}.raven.incomplete`); // a download going on: its lock is fresh
    writeFileSync(mine, Buffer.alloc(1000));
    writeFileSync(python, Buffer.alloc(2000));
    writeFileSync(busy, Buffer.alloc(500));
    writeFileSync(join(blobs, `${'c'.repeat(64)}.lock`), '{}');
    for (const p of [mine, python, busy]) utimesSync(p, old, old);

    const [repo] = await listCache({ cacheDir });
    expect(repo!.incompleteBytes).toBe(3500);
    expect(repo!.partials.map((p) => [p.blob, p.size, p.writer, p.inUse])).toEqual([
      ['a'.repeat(64), 1000, 'raven', false],
      ['b'.repeat(64), 2000, 'other', false],
      ['c'.repeat(64), 500, 'raven', true],
    ]);

    const out: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) } };
    expect(await main(['cache', 'ls', '--cache-dir', cacheDir], io)).toBe(0);
    const ls = out.join('');
    expect(ls).toMatch(/PARTIAL DOWNLOAD/);
    expect(ls).toMatch(/org\/r +1\.0 kB .*resumed by the next download/);
    expect(ls).toMatch(/org\/r +2\.0 kB .*left by another tool/);
    expect(ls).toMatch(/org\/r +500 B .*being written/);
    expect(ls).toContain('3 unfinished downloads');

    out.length = 0;
    expect(await main(['cache', 'clear', '--incomplete', '--cache-dir', cacheDir], io)).toBe(0);
    expect(out.join('')).toContain(`removed ${mine}`);
    expect(out.join('')).toContain(`kept ${busy} (being written`);
    expect(readdirSync(blobs).sort()).toEqual([hub.etagOf('org/r', 'config.json'), `${'c'.repeat(64)}.lock`, `${'c'.repeat(64)}.raven.incomplete`].sort());
    expect(existsSync(join(cacheDir, 'models--org--r', 'snapshots'))).toBe(true); // complete files stay

    // once the download is over (its lock gone), it is removed too
    readdirSync(blobs).filter((n) => n.endsWith('.lock')).forEach((n) => utimesSync(join(blobs, n), old, old));
    const r = await clearCache({ cacheDir, modelId: 'org/r', incomplete: true });
    expect(r).toEqual({ removed: [], freedBytes: 500, partialsRemoved: [busy], partialsInUse: [] });
  });
});

describe('time limits', () => {
  const dirs = tempDirs();
  const servers: HubServer[] = [];
  const raw: Server[] = [];
  afterEach(async () => {
    dirs.cleanup();
    await Promise.all(servers.splice(0).map((s) => s.close()));
    for (const s of raw.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  it('deadlineMs stops a server trickling one byte every 400 ms (timeoutMs alone never would); the partial file is kept and resumed', async () => {
    let trickle = true;
    const hub = await startHubServer({
      repos: { 'org/r': { files: { 'model.safetensors': BIG } } },
      isLfs: () => true,
      onRequest: (r) => (r.server === 'cdn' && trickle ? { throttle: { chunk: 1, delayMs: 400 } } : undefined),
    });
    servers.push(hub);
    const cacheDir = dirs.make();
    const t0 = Date.now();
    const err = await rejection(downloadFile({ modelId: 'org/r', filename: 'model.safetensors', endpoint: hub.endpoint, cacheDir, ...FAST, timeoutMs: 2_000, deadlineMs: 1_500 }));
    const seconds = (Date.now() - t0) / 1000;
    expect(err).toBeInstanceOf(DeadlineExceededError);
    expect((err as DeadlineExceededError).deadlineMs).toBe(1_500);
    expect(err.message).toMatch(/^downloadFile: downloading "model\.safetensors" from "org\/r": the call did not finish within its deadline of 1500 ms \(deadlineMs\)/);
    expect(err.message).toMatch(/\(\d+ of 300000 bytes kept in .*\.raven\.incomplete; a later call resumes from there\)/);
    expect(seconds).toBeLessThan(20); // the whole file at this pace would take 33 hours
    const partial = join(cacheDir, 'models--org--r', 'blobs', `${SHA}.raven.incomplete`);
    const kept = statSync(partial).size;
    expect(kept).toBeGreaterThan(0);
    trickle = false;
    const path = await downloadFile({ modelId: 'org/r', filename: 'model.safetensors', endpoint: hub.endpoint, cacheDir, ...FAST, deadlineMs: 30_000 });
    expect(readFileSync(path).equals(BIG)).toBe(true);
    expect(hub.requests.filter((r) => r.server === 'cdn').at(-1)?.range).toBe(`bytes=${kept}-`);
  }, 60_000);

  it('a server that never answers fails with a NetworkError after the attempts that fit in retry.maxElapsedMs', async () => {
    let requests = 0;
    const dead = createServer(() => { requests++; }); // accepts, reads the request, never answers
    raw.push(dead);
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    const t0 = Date.now();
    // as the defaults (10 s per attempt, retries only within 30 s of the first) scaled down; undici
    // checks its timeouts on a coarse clock, so an attempt lasts 0.3 to about 1 s here
    const err = await rejection(downloadFile({ modelId: 'org/r', filename: 'config.json', endpoint, cacheDir: dirs.make(), timeoutMs: 300, retry: { baseDelayMs: 10, maxRetries: 50, maxElapsedMs: 1_500 } }));
    const seconds = (Date.now() - t0) / 1000;
    expect(err).toBeInstanceOf(NetworkError);
    expect(requests).toBeGreaterThanOrEqual(2); // it retried
    expect(requests).toBeLessThan(50); // but stopped at the window, not at maxRetries
    expect(err.message).toMatch(new RegExp(`^downloadFile: could not reach .* \\(${requests} attempts in \\d+\\.\\d s\\): Headers Timeout`));
    expect(seconds).toBeLessThan(1.5 + 1.5); // no attempt starts after 1.5 s; the last lasts at most ~1 s
  });

  it('the defaults: 10 s per attempt, retries only within 30 s, no overall deadline', () => {
    const c = resolveHubConfig({});
    expect([c.timeoutMs, c.retry.maxElapsedMs, c.retry.maxRetries, c.retry.baseDelayMs, c.deadlineMs]).toEqual([10_000, 30_000, 5, 500, undefined]);
    expect(resolveHubConfig({ deadlineMs: 5 }).signal).toBeInstanceOf(AbortSignal);
  });
});
