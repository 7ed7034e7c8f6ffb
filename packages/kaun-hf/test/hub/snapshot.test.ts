/**
 * snapshotDownload against the loopback Hub: the whole repository into the cache (layout,
 * refs, `trees/<commit>.json`), patterns, a bound on parallel downloads, resuming an interrupted
 * snapshot (only what is missing is fetched), offline and unreachable answers, `hf://`.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  IncompleteSnapshotError,
  NetworkError,
  OfflineError,
  RepositoryNotFoundError,
  RevisionNotFoundError,
  snapshotDownload,
} from '@raven/kaun-hf';

import { type FaultAction, type FakeRequest, type HubServer, startHubServer } from '../helpers/hub-server.js';
import { FAST, noise, rejection, sha256Of, tempDirs } from './_util.js';

const FILES: Record<string, string | Buffer> = {
  'config.json': '{"model_type":"bert"}',
  'tokenizer.json': '{"version":"1.0"}',
  'model-00001-of-00002.safetensors': noise(40_000, 1),
  'model-00002-of-00002.safetensors': noise(30_000, 2),
  'onnx/model.onnx': noise(1000, 3),
  'README.md': '# tiny',
};

describe('snapshotDownload', () => {
  let hub: HubServer;
  let fault: ((r: FakeRequest) => FaultAction | undefined) | undefined;
  const dirs = tempDirs();
  beforeAll(async () => {
    hub = await startHubServer({
      repos: { 'org/snap': { files: FILES, branches: { dev: { 'config.json': '{"dev":1}' } } }, 'org/hidden': { files: { 'a.txt': 'a' }, private: true } },
      onRequest: (r) => fault?.(r),
    });
  });
  afterAll(async () => hub.close());
  afterEach(() => {
    dirs.cleanup();
    hub.requests.length = 0;
    fault = undefined;
  });
  const opts = (cacheDir: string) => ({ endpoint: hub.endpoint, cacheDir, token: false as const, ...FAST });

  it('downloads every file into snapshots/<commit>, records refs and the file list as huggingface_hub does', async () => {
    const cacheDir = dirs.make();
    const folder = await snapshotDownload('org/snap', opts(cacheDir));
    const commit = hub.commitOf('org/snap');
    const repoDir = join(cacheDir, 'models--org--snap');
    expect(folder).toBe(join(repoDir, 'snapshots', commit));
    for (const [path, content] of Object.entries(FILES)) {
      expect(sha256Of(readFileSync(join(folder, ...path.split('/')))), path).toBe(sha256Of(Buffer.from(content)));
    }
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(commit);
    const tree = JSON.parse(readFileSync(join(repoDir, 'trees', `${commit}.json`), 'utf8'));
    expect(tree.format_version).toBe(1);
    expect(Object.keys(tree.files).sort()).toEqual(Object.keys(FILES).sort());
    expect(tree.files['model-00001-of-00002.safetensors']).toMatchObject({ size: 40_000, lfs_sha256: sha256Of(FILES['model-00001-of-00002.safetensors'] as Buffer), lfs_size: 40_000 });
    expect(tree.files['config.json'].lfs_sha256).toBeUndefined();
  });

  it('a second call for a commit costs no file request; a branch costs one info request', async () => {
    const cacheDir = dirs.make();
    await snapshotDownload('org/snap', opts(cacheDir));
    hub.requests.length = 0;
    await snapshotDownload('org/snap', opts(cacheDir));
    expect(hub.requests.map((r) => r.path)).toEqual(['/api/models/org/snap/revision/main']);
    hub.requests.length = 0;
    await snapshotDownload('org/snap', { ...opts(cacheDir), revision: hub.commitOf('org/snap') });
    expect(hub.requests).toEqual([]);
  });

  it('allowPatterns / ignorePatterns choose the files', async () => {
    const cacheDir = dirs.make();
    const folder = await snapshotDownload('org/snap', { ...opts(cacheDir), allowPatterns: ['*.json', '*.safetensors'], ignorePatterns: 'tokenizer*' });
    const got = readdirSync(folder, { recursive: true }).map(String).sort();
    expect(got).toEqual(['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  });

  it('keeps at most `concurrency` downloads in flight', async () => {
    const most = async (concurrency: number): Promise<number> => {
      let inFlight = 0;
      let peak = 0;
      const active = new Set<string>();
      fault = (r) => (r.method === 'GET' ? { throttle: { chunk: 4096, delayMs: 5 } } : undefined);
      await snapshotDownload('org/snap', {
        ...opts(dirs.make()),
        concurrency,
        onProgress: (p) => {
          if (!p.done && !active.has(p.filename)) {
            active.add(p.filename);
            peak = Math.max(peak, ++inFlight);
          } else if (p.done && active.delete(p.filename)) inFlight--;
        },
      });
      return peak;
    };
    expect(await most(2)).toBe(2);
    expect(await most(8)).toBeGreaterThan(2); // the measure can see more when more are allowed
  });

  it('an interrupted snapshot resumes: files already there cost nothing, a cut file continues with Range', async () => {
    const cacheDir = dirs.make();
    // the first 10000 bytes arrive, then (after a pause that lets the client read them) the connection drops
    fault = (r) => (r.server === 'cdn' && r.file === 'model-00002-of-00002.safetensors' ? { cutAfter: 10_000, throttle: { chunk: 10_000, delayMs: 300 } } : undefined);
    const err = await rejection(snapshotDownload('org/snap', { ...opts(cacheDir), retry: { maxRetries: 0 } }));
    expect(err).toBeInstanceOf(NetworkError);
    fault = undefined;
    hub.requests.length = 0;
    const folder = await snapshotDownload('org/snap', opts(cacheDir));
    expect(sha256Of(readFileSync(join(folder, 'model-00002-of-00002.safetensors')))).toBe(sha256Of(FILES['model-00002-of-00002.safetensors'] as Buffer));
    const gets = hub.requests.filter((r) => r.method === 'GET' && !r.path.startsWith('/api/'));
    const resumed = gets.filter((r) => r.server === 'cdn');
    expect(resumed.map((r) => r.range)).toEqual(['bytes=10000-']);
    // files finished by the first call were not asked for again
    expect(hub.requests.filter((r) => r.method === 'HEAD').length).toBeLessThan(Object.keys(FILES).length);
  });

  it('offline: the recorded snapshot; an incomplete one is IncompleteSnapshotError; none is OfflineError', async () => {
    const cacheDir = dirs.make();
    const folder = await snapshotDownload('org/snap', opts(cacheDir));
    hub.requests.length = 0;
    expect(await snapshotDownload('org/snap', { ...opts(cacheDir), offline: true })).toBe(folder);
    expect(hub.requests).toEqual([]);
    const offDev = await rejection(snapshotDownload('org/snap', { ...opts(cacheDir), offline: true, revision: 'dev' }));
    expect(offDev).toBeInstanceOf(OfflineError);
    expect(offDev.message).toContain('kaun-hf download org/snap');
    const partial = dirs.make();
    await snapshotDownload('org/snap', { ...opts(partial), allowPatterns: '*.json' });
    const inc = await rejection(snapshotDownload('org/snap', { ...opts(partial), offline: true }));
    expect(inc).toBeInstanceOf(IncompleteSnapshotError);
    expect((inc as IncompleteSnapshotError).missing.sort()).toEqual(['README.md', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'onnx/model.onnx']);
    // the part that is there is enough when the patterns ask only for it
    expect(existsSync(await snapshotDownload('org/snap', { ...opts(partial), offline: true, allowPatterns: '*.json' }))).toBe(true);
  });

  it('when the Hub cannot be reached, the cached snapshot of the revision is used', async () => {
    const cacheDir = dirs.make();
    const folder = await snapshotDownload('org/snap', opts(cacheDir));
    fault = () => ({ destroy: true });
    expect(await snapshotDownload('org/snap', { ...opts(cacheDir), retry: { maxRetries: 1, baseDelayMs: 1 } })).toBe(folder);
    const empty = dirs.make();
    expect(await rejection(snapshotDownload('org/snap', { ...opts(empty), retry: { maxRetries: 0 } }))).toBeInstanceOf(NetworkError);
  });

  it('errors of the Hub are passed on: missing repository, private without token, missing revision', async () => {
    const cacheDir = dirs.make();
    expect(await rejection(snapshotDownload('org/nope', opts(cacheDir)))).toBeInstanceOf(RepositoryNotFoundError);
    expect(await rejection(snapshotDownload('org/hidden', opts(cacheDir)))).toBeInstanceOf(RepositoryNotFoundError);
    expect(await rejection(snapshotDownload('org/snap', { ...opts(cacheDir), revision: 'nope' }))).toBeInstanceOf(RevisionNotFoundError);
    const hidden = await snapshotDownload('org/hidden', { ...opts(cacheDir), token: 'hf_valid' });
    expect(readFileSync(join(hidden, 'a.txt'), 'utf8')).toBe('a');
  });

  it('hf://org/name is always the Hub, even where a local folder org/name exists', async () => {
    const cwd = dirs.make();
    const previous = process.cwd();
    mkdirSync(join(cwd, 'org', 'snap'), { recursive: true });
    writeFileSync(join(cwd, 'org', 'snap', 'config.json'), '{"local":true}');
    process.chdir(cwd);
    try {
      const cacheDir = dirs.make();
      expect(await snapshotDownload('org/snap', opts(cacheDir))).toBe(join(cwd, 'org', 'snap')); // a folder wins for a bare id
      const remote = await snapshotDownload('hf://org/snap', opts(cacheDir));
      expect(readFileSync(join(remote, 'config.json'), 'utf8')).toBe(FILES['config.json']);
      const missing = await rejection(snapshotDownload('./no/such/folder', opts(cacheDir)));
      expect(missing.message).toContain('no such folder');
    } finally {
      process.chdir(previous);
    }
  });
});
