/**
 * cacheRoot / resolveHubConfig read the environment at call time; listCache and clearCache
 * describe and clear what downloads put in the cache.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { HubError, cacheRoot, clearCache, downloadFile, listCache, resolveHubConfig } from '@raven/kaun-hf';

import { type HubServer, startHubServer } from '../helpers/hub-server.js';
import { FAST, tempDirs } from './_util.js';

const ENV = ['RAVEN_CACHE_ROOT', 'XDG_CACHE_HOME', 'HF_ENDPOINT', 'HF_TOKEN', 'HF_HUB_OFFLINE'];

describe('configuration from the environment, at call time', () => {
  const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  afterEach(() => {
    for (const k of ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('cacheRoot: RAVEN_CACHE_ROOT, then XDG_CACHE_HOME, then ~/.cache', () => {
    delete process.env.RAVEN_CACHE_ROOT;
    delete process.env.XDG_CACHE_HOME;
    expect(cacheRoot()).toBe(join(homedir(), '.cache', 'raven', 'huggingface'));
    process.env.XDG_CACHE_HOME = '/x/cache';
    expect(cacheRoot()).toBe('/x/cache/raven/huggingface');
    process.env.RAVEN_CACHE_ROOT = '/r';
    expect(cacheRoot()).toBe('/r/huggingface');
    expect(resolveHubConfig().cacheDir).toBe('/r/huggingface');
    expect(resolveHubConfig({ cacheDir: '/c' }).cacheDir).toBe('/c');
  });

  it('resolveHubConfig: endpoint, token and offline from options over the environment', () => {
    delete process.env.HF_ENDPOINT;
    delete process.env.HF_TOKEN;
    delete process.env.HF_HUB_OFFLINE;
    expect(resolveHubConfig()).toMatchObject({ endpoint: 'https://huggingface.co', token: undefined, offline: false });
    process.env.HF_ENDPOINT = 'https://mirror.example/';
    process.env.HF_TOKEN = 'hf_env';
    process.env.HF_HUB_OFFLINE = 'on';
    expect(resolveHubConfig()).toMatchObject({ endpoint: 'https://mirror.example', token: 'hf_env', offline: true });
    expect(resolveHubConfig({ endpoint: 'http://127.0.0.1:1', token: false, offline: false })).toMatchObject({
      endpoint: 'http://127.0.0.1:1',
      token: undefined,
      offline: false,
    });
    process.env.HF_HUB_OFFLINE = '0';
    expect(resolveHubConfig().offline).toBe(false);
    expect(() => resolveHubConfig({ endpoint: 'ftp://x' })).toThrow(HubError);
    expect(() => resolveHubConfig({ endpoint: 'not a url' })).toThrow(/is not a URL/);
    expect(() => resolveHubConfig({ retry: { maxRetries: -1 } })).toThrow(/retry.maxRetries must be a number >= 0/);
  });
});

describe('listCache / clearCache', () => {
  let hub: HubServer;
  const dirs = tempDirs();
  const W = Buffer.alloc(3000, 1);
  beforeAll(async () => {
    hub = await startHubServer({
      repos: {
        'org/a': {
          files: { 'config.json': '{"a":1}', 'model.safetensors': W },
          branches: { dev: { 'config.json': '{"a":2}', 'model.safetensors': W } },
        },
        solo: { files: { 'config.json': '{}' } },
      },
    });
  });
  afterAll(async () => hub.close());
  afterEach(() => dirs.cleanup());

  async function fill(cacheDir: string): Promise<void> {
    const o = { endpoint: hub.endpoint, cacheDir, ...FAST };
    for (const revision of ['main', 'dev']) {
      for (const filename of ['config.json', 'model.safetensors'])
        await downloadFile({ ...o, modelId: 'org/a', filename, revision });
    }
    await downloadFile({ ...o, modelId: 'solo', filename: 'config.json' });
  }

  it('lists repositories with refs, snapshots, files and sizes (shared blobs counted once)', async () => {
    const cacheDir = dirs.make();
    expect(await listCache({ cacheDir })).toEqual([]);
    await fill(cacheDir);
    const repos = await listCache({ cacheDir });
    expect(repos.map((r) => r.repoId)).toEqual(['org/a', 'solo']);
    const a = repos[0]!;
    expect(a.repoType).toBe('model');
    expect(a.refs).toEqual({ main: hub.commitOf('org/a', 'main'), dev: hub.commitOf('org/a', 'dev') });
    expect(a.snapshots).toHaveLength(2);
    const main = a.snapshots.find((s) => s.commit === hub.commitOf('org/a'))!;
    expect(main.refs).toEqual(['main']);
    expect(main.files.map((f) => [f.path, f.size, f.blob])).toEqual([
      ['config.json', 7, hub.etagOf('org/a', 'config.json')],
      ['model.safetensors', 3000, hub.etagOf('org/a', 'model.safetensors')],
    ]);
    // blobs: two configs (7 bytes each) + one weights blob shared by both snapshots
    expect(a.sizeOnDisk).toBe(7 + 7 + 3000);
    expect(a.incompleteBytes).toBe(0);
    expect(repos[1]).toMatchObject({ repoId: 'solo', sizeOnDisk: 2 });
  });

  it('clears one repository, then all, leaving other files in the root alone', async () => {
    const cacheDir = dirs.make();
    await fill(cacheDir);
    mkdirSync(join(cacheDir, 'not-a-repo'));
    writeFileSync(join(cacheDir, 'notes.txt'), 'keep');
    expect(await clearCache({ cacheDir, modelId: 'org/missing' })).toEqual({ removed: [], freedBytes: 0, partialsRemoved: [], partialsInUse: [] });
    expect(await clearCache({ cacheDir, modelId: 'org/a' })).toEqual({ removed: ['org/a'], freedBytes: 3014, partialsRemoved: [], partialsInUse: [] });
    expect(existsSync(join(cacheDir, 'models--org--a'))).toBe(false);
    expect(existsSync(join(cacheDir, 'models--solo'))).toBe(true);
    expect(await clearCache({ cacheDir })).toEqual({ removed: ['solo'], freedBytes: 2, partialsRemoved: [], partialsInUse: [] });
    expect(readdirSync(cacheDir).sort()).toEqual(['not-a-repo', 'notes.txt']);
    await expect(clearCache({ cacheDir, modelId: '../x' })).rejects.toThrow(HubError);
  });
});
