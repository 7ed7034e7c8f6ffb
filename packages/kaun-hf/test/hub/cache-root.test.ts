/**
 * Which cache root is used: RAVEN_CACHE_ROOT, then huggingface_hub's HF_HUB_CACHE /
 * HUGGINGFACE_HUB_CACHE / HF_HOME (shared with Python), then Raven's own default; read at call time.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { cacheRoot, downloadFile } from '@raven/kaun-hf';

import { type HubServer, startHubServer } from '../helpers/hub-server.js';
import { FAST, tempDirs } from './_util.js';

const VARS = ['RAVEN_CACHE_ROOT', 'HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_HOME', 'XDG_CACHE_HOME'];

describe('cache root', () => {
  const saved: Record<string, string | undefined> = {};
  let hub: HubServer;
  const dirs = tempDirs();
  beforeAll(async () => {
    for (const k of VARS) saved[k] = process.env[k];
    hub = await startHubServer({ repos: { 'org/r': { files: { 'config.json': '{}' } } } });
  });
  afterEach(() => {
    for (const k of VARS) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    dirs.cleanup();
  });
  afterAll(async () => hub.close());
  const clear = () => VARS.forEach((k) => delete process.env[k]);

  it('follows the documented order, each read at call time', () => {
    clear();
    expect(cacheRoot()).toBe(join(homedir(), '.cache', 'raven', 'huggingface'));
    process.env.XDG_CACHE_HOME = '/x';
    expect(cacheRoot()).toBe('/x/raven/huggingface');
    process.env.HF_HOME = '/hf';
    expect(cacheRoot()).toBe('/hf/hub');
    process.env.HUGGINGFACE_HUB_CACHE = '/legacy';
    expect(cacheRoot()).toBe('/legacy');
    process.env.HF_HUB_CACHE = '/hub-cache';
    expect(cacheRoot()).toBe('/hub-cache');
    process.env.RAVEN_CACHE_ROOT = '/raven';
    expect(cacheRoot()).toBe('/raven/huggingface');
    process.env.RAVEN_CACHE_ROOT = '';
    process.env.HF_HUB_CACHE = '~/hf-cache';
    expect(cacheRoot()).toBe(join(homedir(), 'hf-cache'));
  });

  it('downloads go to HF_HOME/hub when only HF_HOME is set (the cache Python uses)', async () => {
    clear();
    const home = dirs.make();
    process.env.HF_HOME = home;
    const path = await downloadFile({ modelId: 'org/r', filename: 'config.json', endpoint: hub.endpoint, token: false, ...FAST });
    expect(path.startsWith(join(home, 'hub', 'models--org--r', 'snapshots'))).toBe(true);
    expect(existsSync(join(home, 'hub', 'models--org--r', 'refs', 'main'))).toBe(true);
  });
});
