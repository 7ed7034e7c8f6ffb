/**
 * downloadFile against the loopback fake Hub: resolve headers, the cache layout, the CDN
 * redirect and Authorization, cache hits without requests, revision pinning.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readlinkSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { type DownloadProgress, downloadFile } from '@raven/kaun-hf';

import { type HubServer, startHubServer } from '../helpers/hub-server.js';
import { BERT_TINY, FAST, tempDirs } from './_util.js';

const CONFIG = JSON.stringify({ model_type: 'bert', hidden_size: 8 });
const WEIGHTS = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 251));

describe('downloadFile', () => {
  let hub: HubServer;
  const dirs = tempDirs();
  beforeAll(async () => {
    hub = await startHubServer({
      repos: {
        'org/tiny': {
          files: {
            'config.json': CONFIG,
            'model.safetensors': WEIGHTS,
            'sub/dir/notes.txt': 'hello',
            'a b.txt': 'space',
          },
          branches: { dev: { 'config.json': '{"dev":true}' } },
          tags: { 'v1.0': 'main' },
        },
        'org/bert-tiny': { folder: BERT_TINY },
        'org/pr': { files: { 'config.json': '{}' }, branches: { 'refs/pr/1': { 'config.json': '{"pr":1}' } } },
      },
      renamed: { 'old/tiny': 'org/tiny' },
    });
  });
  afterAll(async () => hub.close());
  afterEach(() => {
    dirs.cleanup();
    hub.requests.length = 0;
  });
  const opts = (cacheDir: string) => ({ endpoint: hub.endpoint, cacheDir, token: false as const, ...FAST });

  it('stores a regular file in the huggingface_hub layout: blob named by ETag, relative symlink, ref', async () => {
    const cacheDir = dirs.make();
    const path = await downloadFile({ ...opts(cacheDir), modelId: 'org/tiny', filename: 'config.json' });
    const commit = hub.commitOf('org/tiny');
    const repoDir = join(cacheDir, 'models--org--tiny');
    expect(path).toBe(join(repoDir, 'snapshots', commit, 'config.json'));
    expect(readFileSync(path, 'utf8')).toBe(CONFIG);
    // ETag of a regular file is the git blob sha1, computed here independently
    const gitSha = createHash('sha1')
      .update(`blob ${Buffer.byteLength(CONFIG)}\0${CONFIG}`)
      .digest('hex');
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path)).toBe(join('..', '..', 'blobs', gitSha));
    expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(commit);
    expect(readdirSync(join(repoDir, 'blobs'))).toEqual([gitSha]); // no .incomplete or .lock left
    // one HEAD (metadata, not followed) then one GET
    expect(hub.requests.map((r) => `${r.server} ${r.method} ${r.status}`)).toEqual(['hub HEAD 200', 'hub GET 200']);
  });

  it('follows the 302 of an LFS file to the CDN host, names the blob by X-Linked-Etag (sha256) and sends no token there', async () => {
    const cacheDir = dirs.make();
    const path = await downloadFile({
      ...opts(cacheDir),
      token: 'hf_valid',
      modelId: 'org/tiny',
      filename: 'model.safetensors',
    });
    expect(readFileSync(path).equals(WEIGHTS)).toBe(true);
    const oid = createHash('sha256').update(WEIGHTS).digest('hex');
    expect(realpathSync(path)).toBe(realpathSync(join(cacheDir, 'models--org--tiny', 'blobs', oid)));
    const hubReqs = hub.requests.filter((r) => r.server === 'hub');
    const cdnReqs = hub.requests.filter((r) => r.server === 'cdn');
    expect(hubReqs.map((r) => r.method)).toEqual(['HEAD']); // GET goes straight to the Location
    expect(hubReqs[0]?.authorization).toBe('Bearer hf_valid');
    expect(cdnReqs).toHaveLength(1);
    expect(cdnReqs[0]?.authorization).toBeUndefined();
    expect(new URL(hub.cdnEndpoint).port).not.toBe(new URL(hub.endpoint).port);
  });

  it('drops Authorization when the GET itself is redirected to another host (another port counts)', async () => {
    const other = await startHubServer({ repos: { 'org/tiny': { files: { 'config.json': CONFIG } } } });
    const hop = await startHubServer({
      repos: {
        'org/tiny': { files: { 'config.json': CONFIG } },
        'org/private': { files: { 'config.json': CONFIG }, private: true },
      },
      // metadata answers normally; the GET is sent elsewhere, like a mirror handing off to storage
      onRequest: (r) =>
        r.method === 'GET'
          ? { status: 302, headers: { Location: `${other.endpoint}/org/tiny/resolve/main/config.json` } }
          : undefined,
    });
    try {
      const cacheDir = dirs.make();
      const path = await downloadFile({
        endpoint: hop.endpoint,
        cacheDir,
        token: 'hf_valid',
        modelId: 'org/private',
        filename: 'config.json',
        ...FAST,
      });
      expect(readFileSync(path, 'utf8')).toBe(CONFIG);
      expect(hop.requests.map((r) => [r.method, r.authorization])).toEqual([
        ['HEAD', 'Bearer hf_valid'],
        ['GET', 'Bearer hf_valid'],
      ]);
      expect(other.requests.map((r) => [r.method, r.authorization])).toEqual([['GET', undefined]]);
    } finally {
      await Promise.all([other.close(), hop.close()]);
    }
  });

  it('downloads the real bert-tiny fixture byte for byte, nested paths and names that need encoding', async () => {
    const cacheDir = dirs.make();
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt']) {
      const p = await downloadFile({ ...opts(cacheDir), modelId: 'org/bert-tiny', filename: f });
      expect(readFileSync(p).equals(readFileSync(join(BERT_TINY, f)))).toBe(true);
    }
    const nested = await downloadFile({ ...opts(cacheDir), modelId: 'org/tiny', filename: 'sub/dir/notes.txt' });
    expect(readFileSync(nested, 'utf8')).toBe('hello');
    expect(readlinkSync(nested)).toBe(
      join('..', '..', '..', '..', 'blobs', hub.etagOf('org/tiny', 'sub/dir/notes.txt')),
    );
    const spaced = await downloadFile({ ...opts(cacheDir), modelId: 'org/tiny', filename: 'a b.txt' });
    expect(readFileSync(spaced, 'utf8')).toBe('space');
    expect(hub.requests.some((r) => r.path === '/org/tiny/resolve/main/a%20b.txt')).toBe(true);
  });

  it('reports progress that ends with done and the full size', async () => {
    const cacheDir = dirs.make();
    const events: DownloadProgress[] = [];
    await downloadFile({
      ...opts(cacheDir),
      modelId: 'org/tiny',
      filename: 'model.safetensors',
      onProgress: (p) => events.push(p),
    });
    const last = events.at(-1);
    expect(last).toMatchObject({
      filename: 'model.safetensors',
      downloaded: WEIGHTS.length,
      total: WEIGHTS.length,
      done: true,
      fromCache: false,
    });
    const counts = events.map((e) => e.downloaded);
    expect([...counts].sort((a, b) => a - b)).toEqual(counts); // never goes back
    const again: DownloadProgress[] = [];
    await downloadFile({
      ...opts(cacheDir),
      modelId: 'org/tiny',
      filename: 'model.safetensors',
      onProgress: (p) => again.push(p),
    });
    expect(again).toEqual([expect.objectContaining({ fromCache: true, done: true, downloaded: WEIGHTS.length })]);
  });

  it('a cached commit costs no request; a branch costs one HEAD and no download', async () => {
    const cacheDir = dirs.make();
    const commit = hub.commitOf('org/tiny');
    await downloadFile({ ...opts(cacheDir), modelId: 'org/tiny', filename: 'model.safetensors' });
    hub.requests.length = 0;
    const byCommit = await downloadFile({
      ...opts(cacheDir),
      modelId: 'org/tiny',
      filename: 'model.safetensors',
      revision: commit,
    });
    expect(hub.requests).toHaveLength(0);
    const byBranch = await downloadFile({ ...opts(cacheDir), modelId: 'org/tiny', filename: 'model.safetensors' });
    expect(byBranch).toBe(byCommit);
    expect(hub.requests.map((r) => `${r.server} ${r.method}`)).toEqual(['hub HEAD']);
  });

  it('pins revisions: branch, tag and commit resolve to their snapshots and refs', async () => {
    const cacheDir = dirs.make();
    const repoDir = join(cacheDir, 'models--org--tiny');
    const dev = await downloadFile({
      ...opts(cacheDir),
      modelId: 'org/tiny',
      filename: 'config.json',
      revision: 'dev',
    });
    expect(readFileSync(dev, 'utf8')).toBe('{"dev":true}');
    expect(dev).toContain(join('snapshots', hub.commitOf('org/tiny', 'dev')));
    const tag = await downloadFile({
      ...opts(cacheDir),
      modelId: 'org/tiny',
      filename: 'config.json',
      revision: 'v1.0',
    });
    expect(readFileSync(tag, 'utf8')).toBe(CONFIG);
    expect(readFileSync(join(repoDir, 'refs', 'v1.0'), 'utf8')).toBe(hub.commitOf('org/tiny', 'main'));
    const commit = hub.commitOf('org/tiny', 'dev');
    const pinned = await downloadFile({
      ...opts(cacheDir),
      modelId: 'org/tiny',
      filename: 'config.json',
      revision: commit,
    });
    expect(pinned).toBe(dev);
    expect(readdirSync(join(repoDir, 'refs')).sort()).toEqual(['dev', 'v1.0']); // a commit writes no ref
  });

  it('a moved branch gives a new snapshot; unchanged files are linked to the same blob without a download', async () => {
    const hub2 = await startHubServer({
      repos: { 'org/moving': { files: { 'config.json': CONFIG, 'model.safetensors': WEIGHTS } } },
    });
    try {
      const cacheDir = dirs.make();
      const o = { endpoint: hub2.endpoint, cacheDir, ...FAST };
      const first = await downloadFile({ ...o, modelId: 'org/moving', filename: 'model.safetensors' });
      await downloadFile({ ...o, modelId: 'org/moving', filename: 'config.json' });
      const oldCommit = hub2.commitOf('org/moving');
      const newCommit = hub2.setBranch('org/moving', 'main', {
        'config.json': '{"v":2}',
        'model.safetensors': WEIGHTS,
      });
      hub2.requests.length = 0;
      const second = await downloadFile({ ...o, modelId: 'org/moving', filename: 'model.safetensors' });
      expect(second).not.toBe(first);
      expect(second).toContain(join('snapshots', newCommit));
      expect(realpathSync(second)).toBe(realpathSync(first)); // same blob
      expect(hub2.requests.map((r) => r.method)).toEqual(['HEAD']); // no GET: the blob was there
      const config = await downloadFile({ ...o, modelId: 'org/moving', filename: 'config.json' });
      expect(readFileSync(config, 'utf8')).toBe('{"v":2}');
      const repoDir = join(cacheDir, 'models--org--moving');
      expect(readFileSync(join(repoDir, 'refs', 'main'), 'utf8')).toBe(newCommit);
      expect(readdirSync(join(repoDir, 'snapshots')).sort()).toEqual([oldCommit, newCommit].sort());
      // the old snapshot still holds the old config
      expect(readFileSync(join(repoDir, 'snapshots', oldCommit, 'config.json'), 'utf8')).toBe(CONFIG);
    } finally {
      await hub2.close();
    }
  });

  it('percent-encodes a revision with slashes (refs/pr/1 -> refs%2Fpr%2F1) and records refs/refs/pr/1', async () => {
    const cacheDir = dirs.make();
    const path = await downloadFile({
      ...opts(cacheDir),
      modelId: 'org/pr',
      filename: 'config.json',
      revision: 'refs/pr/1',
    });
    expect(readFileSync(path, 'utf8')).toBe('{"pr":1}');
    expect(hub.requests[0]?.path).toBe('/org/pr/resolve/refs%2Fpr%2F1/config.json');
    const ref = join(cacheDir, 'models--org--pr', 'refs', 'refs', 'pr', '1');
    expect(readFileSync(ref, 'utf8')).toBe(hub.commitOf('org/pr', 'refs/pr/1'));
  });

  it('follows the relative redirect of a renamed repository for metadata', async () => {
    const cacheDir = dirs.make();
    const path = await downloadFile({ ...opts(cacheDir), modelId: 'old/tiny', filename: 'config.json' });
    expect(readFileSync(path, 'utf8')).toBe(CONFIG);
    expect(hub.requests.slice(0, 2).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'HEAD /old/tiny/resolve/main/config.json 307',
      'HEAD /org/tiny/resolve/main/config.json 200',
    ]);
  });

  it('strips W/ and quotes from a weak ETag', async () => {
    const weak = await startHubServer({ repos: { 'org/w': { files: { 'config.json': CONFIG } } }, weakEtags: true });
    try {
      const cacheDir = dirs.make();
      const path = await downloadFile({
        endpoint: weak.endpoint,
        cacheDir,
        modelId: 'org/w',
        filename: 'config.json',
        ...FAST,
      });
      expect(readdirSync(join(cacheDir, 'models--org--w', 'blobs'))).toEqual([weak.etagOf('org/w', 'config.json')]);
      expect(readFileSync(path, 'utf8')).toBe(CONFIG);
    } finally {
      await weak.close();
    }
  });

  it('copies instead of linking when symlinks are off', async () => {
    const cacheDir = dirs.make();
    const path = await downloadFile({
      ...opts(cacheDir),
      modelId: 'org/tiny',
      filename: 'config.json',
      symlinks: false,
    });
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe(CONFIG);
  });

  it('reads the endpoint from HF_ENDPOINT at call time', async () => {
    const cacheDir = dirs.make();
    const saved = process.env.HF_ENDPOINT;
    try {
      process.env.HF_ENDPOINT = hub.endpoint;
      const path = await downloadFile({ cacheDir, modelId: 'org/tiny', filename: 'config.json', ...FAST });
      expect(readFileSync(path, 'utf8')).toBe(CONFIG);
      expect(hub.requests.length).toBeGreaterThan(0);
    } finally {
      if (saved === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = saved;
    }
  });

  it('reads a local folder directly, without network or cache', async () => {
    const cacheDir = dirs.make();
    const folder = BERT_TINY;
    const path = await downloadFile({ ...opts(cacheDir), modelId: folder, filename: 'config.json' });
    expect(path).toBe(join(folder, 'config.json'));
    const relativePath = await downloadFile({
      ...opts(cacheDir),
      modelId: `./${relative(process.cwd(), BERT_TINY)}`,
      filename: 'vocab.txt',
    });
    expect(dirname(relativePath)).toBe(folder);
    expect(hub.requests).toHaveLength(0);
    expect(existsSync(join(cacheDir, 'models--fixtures--bert-tiny'))).toBe(false);
  });
});
