/**
 * Two downloads of one file at once (in one process, and from a child process) share one
 * transfer through the lock file; abandoned locks are broken; a killed process's partial file
 * is resumed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { afterEach, describe, expect, it } from 'vitest';

import { downloadFile } from '@raven/kaun-hf';

import { type FaultAction, type FakeRequest, type HubServer, startHubServer } from '../helpers/hub-server.js';
import { FAST, tempDirs } from './_util.js';

const BIG = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 13 + 7) % 256));
const SHA = createHash('sha256').update(BIG).digest('hex');
const CHILD = fileURLToPath(new URL('./child-download.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function startChild(
  hub: HubServer,
  cacheDir: string,
): { child: ChildProcess; result: Promise<{ code: number | null; out: string; err: string }> } {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', TSX, CHILD, 'org/r', 'model.safetensors', cacheDir, hub.endpoint],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const result = new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, out, err })),
  );
  return { child, result };
}

describe('concurrent downloads', () => {
  const dirs = tempDirs();
  const servers: HubServer[] = [];
  afterEach(async () => {
    dirs.cleanup();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  async function hubWith(onRequest: (r: FakeRequest) => FaultAction | undefined) {
    const hub = await startHubServer({ repos: { 'org/r': { files: { 'model.safetensors': BIG } } }, onRequest });
    servers.push(hub);
    return hub;
  }
  const cdnGets = (hub: HubServer) => hub.requests.filter((r) => r.server === 'cdn' && r.method === 'GET');

  it('two downloads of one file in one process: one transfer, one blob, same path', async () => {
    const hub = await hubWith((r) => (r.server === 'cdn' ? { throttle: { chunk: 20_000, delayMs: 10 } } : undefined));
    const cacheDir = dirs.make();
    const o = { modelId: 'org/r', filename: 'model.safetensors', endpoint: hub.endpoint, cacheDir, ...FAST };
    const [a, b, c] = await Promise.all([downloadFile(o), downloadFile(o), downloadFile(o)]);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(readFileSync(a).equals(BIG)).toBe(true);
    expect(cdnGets(hub)).toHaveLength(1);
    expect(readdirSync(join(cacheDir, 'models--org--r', 'blobs'))).toEqual([SHA]);
  });

  it('a child process downloading the same file: this process waits on the lock and does not download again', async () => {
    let markGet!: () => void;
    const childGetStarted = new Promise<void>((r) => (markGet = r));
    const hub = await hubWith((r) => {
      if (r.server !== 'cdn') return undefined;
      markGet();
      return { throttle: { chunk: 10_000, delayMs: 25 } }; // about 0.5 s
    });
    const cacheDir = dirs.make();
    const { result } = startChild(hub, cacheDir);
    await childGetStarted; // the child holds the lock and is downloading
    const lock = join(cacheDir, 'models--org--r', 'blobs', `${SHA}.lock`);
    expect(existsSync(lock)).toBe(true);
    const mine = await downloadFile({
      modelId: 'org/r',
      filename: 'model.safetensors',
      endpoint: hub.endpoint,
      cacheDir,
      ...FAST,
    });
    const child = await result;
    expect(child.code, child.err).toBe(0);
    expect(JSON.parse(child.out).path).toBe(mine);
    expect(readFileSync(mine).equals(BIG)).toBe(true);
    expect(cdnGets(hub)).toHaveLength(1);
    expect(hub.requests.filter((r) => r.method === 'HEAD')).toHaveLength(2);
    expect(existsSync(lock)).toBe(false);
  }, 60_000);

  it('a killed process leaves its lock and partial file: the next download breaks the lock and resumes', async () => {
    const hub = await hubWith((r) =>
      r.server === 'cdn' && !r.headers.range ? { throttle: { chunk: 10_000, delayMs: 30 } } : undefined,
    );
    const cacheDir = dirs.make();
    const { child, result } = startChild(hub, cacheDir);
    const partial = join(cacheDir, 'models--org--r', 'blobs', `${SHA}.raven.incomplete`);
    const deadline = Date.now() + 60_000;
    while (!(existsSync(partial) && statSync(partial).size >= 30_000)) {
      if (Date.now() > deadline) throw new Error('child never started writing');
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    await result;
    const lock = join(cacheDir, 'models--org--r', 'blobs', `${SHA}.lock`);
    expect(existsSync(lock)).toBe(true); // abandoned
    const kept = statSync(partial).size;
    const path = await downloadFile({
      modelId: 'org/r',
      filename: 'model.safetensors',
      endpoint: hub.endpoint,
      cacheDir,
      ...FAST,
    });
    expect(readFileSync(path).equals(BIG)).toBe(true);
    const gets = cdnGets(hub);
    expect(gets).toHaveLength(2);
    expect(gets[1]?.range).toBe(`bytes=${kept}-`);
    expect(existsSync(lock)).toBe(false);
  }, 60_000);

  it('waits while a live lock is held and goes on once it is released', async () => {
    const hub = await hubWith(() => undefined);
    const cacheDir = dirs.make();
    const blobs = join(cacheDir, 'models--org--r', 'blobs');
    mkdirSync(blobs, { recursive: true });
    const lock = join(blobs, `${SHA}.lock`);
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname() })); // alive: this very process
    setTimeout(() => unlinkSync(lock), 300);
    const t0 = Date.now();
    const path = await downloadFile({
      modelId: 'org/r',
      filename: 'model.safetensors',
      endpoint: hub.endpoint,
      cacheDir,
      ...FAST,
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(readFileSync(path).equals(BIG)).toBe(true);
  });

  it('breaks a lock not touched for lock.staleMs (e.g. left by another machine)', async () => {
    const hub = await hubWith(() => undefined);
    const cacheDir = dirs.make();
    const blobs = join(cacheDir, 'models--org--r', 'blobs');
    mkdirSync(blobs, { recursive: true });
    const lock = join(blobs, `${SHA}.lock`);
    writeFileSync(lock, JSON.stringify({ pid: 1, host: 'another-machine' }));
    const old = new Date(Date.now() - 10_000);
    utimesSync(lock, old, old);
    const path = await downloadFile({
      modelId: 'org/r',
      filename: 'model.safetensors',
      endpoint: hub.endpoint,
      cacheDir,
      ...FAST,
      lock: { staleMs: 5_000, pollMs: 10 },
    });
    expect(readFileSync(path).equals(BIG)).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });
});
