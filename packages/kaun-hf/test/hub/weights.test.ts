/**
 * loadConfig / loadWeights / downloadWeights through the loopback fake Hub: single files, the
 * fallback order, sharded checkpoints (safetensors bytes written here by hand, per the spec),
 * pickle-only repositories, hostile indexes, local folders, offline use.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import * as nx from '@raven/nx';
import {
  EntryNotFoundError,
  ModelLoadError,
  UnsafePathError,
  UnsupportedWeightsError,
  downloadWeights,
  loadConfig,
  loadWeights,
} from '@raven/kaun-hf';

import { type HubServer, startHubServer } from '../helpers/hub-server.js';
import { BERT_TINY, FAST, rejection, tempDirs } from './_util.js';

type Spec = [name: string, shape: number[], values: number[]];

/** A safetensors file written from the spec: u64 LE header size, JSON header (space padded to 8), F32 LE data. */
function safetensors(tensors: Spec[]): Buffer {
  const header: Record<string, unknown> = {};
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, shape, values] of tensors) {
    const data = Buffer.alloc(values.length * 4);
    values.forEach((v, i) => data.writeFloatLE(v, i * 4));
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.length] };
    offset += data.length;
    chunks.push(data);
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([size, Buffer.from(json), ...chunks]);
}

const A: Spec = ['encoder.a.weight', [2, 3], [1, 2, 3, 4, 5, 6]];
const B: Spec = ['encoder.b.bias', [3], [0.5, -1.5, 2.25]];
const C: Spec = ['head.weight', [1, 2], [-7, 8]];
const index = (map: Record<string, string>) => JSON.stringify({ metadata: { total_size: 0 }, weight_map: map });

function expectWeights(got: Array<[string, nx.Tensor]>, want: Spec[]): void {
  expect(got.map(([n]) => n).sort()).toEqual(want.map(([n]) => n).sort());
  const byName = new Map(got);
  for (const [name, shape, values] of want) {
    const t = byName.get(name) as nx.Tensor;
    expect(t.shape).toEqual(shape);
    expect(Array.from(nx.toTypedArray(t))).toEqual(values);
  }
}

describe('loadConfig / loadWeights', () => {
  let hub: HubServer;
  const dirs = tempDirs();
  beforeAll(async () => {
    hub = await startHubServer({
      repos: {
        'org/bert-tiny': { folder: BERT_TINY },
        'org/single': {
          files: {
            'config.json': '{"x":1}',
            'model.safetensors': safetensors([A, B, C]),
            'pytorch_model.safetensors': safetensors([C]),
          },
        },
        'org/pt-named': { files: { 'pytorch_model.safetensors': safetensors([A]) } },
        'org/one-shard': { files: { 'model-00001-of-00001.safetensors': safetensors([B]) } },
        'org/sharded': {
          files: {
            'config.json': '{"sharded":true}',
            'model.safetensors.index.json': index({
              [A[0]]: 'model-00001-of-00002.safetensors',
              [B[0]]: 'model-00001-of-00002.safetensors',
              [C[0]]: 'model-00002-of-00002.safetensors',
            }),
            'model-00001-of-00002.safetensors': safetensors([A, B]),
            'model-00002-of-00002.safetensors': safetensors([C]),
          },
        },
        'org/pickle': { files: { 'config.json': '{}', 'pytorch_model.bin': 'PICKLE-BYTES-NOT-TO-BE-READ' } },
        'org/empty': { files: { 'config.json': '{}' } },
        'org/evil-index': {
          files: {
            'model.safetensors.index.json': index({ [A[0]]: '../../../../evil.safetensors' }),
          },
        },
        'org/abs-index': { files: { 'model.safetensors.index.json': index({ [A[0]]: '/tmp/evil.safetensors' }) } },
        'org/stale-index': {
          files: {
            'model.safetensors.index.json': index({ [A[0]]: 's1.safetensors', 'missing.weight': 's1.safetensors' }),
            's1.safetensors': safetensors([A]),
          },
        },
        'org/dup': {
          files: {
            'model.safetensors.index.json': index({ [A[0]]: 's1.safetensors', [B[0]]: 's2.safetensors' }),
            's1.safetensors': safetensors([A]),
            's2.safetensors': safetensors([A, B]),
          },
        },
      },
    });
  });
  afterAll(async () => hub.close());
  afterEach(() => {
    dirs.cleanup();
    hub.requests.length = 0;
  });
  const opts = (cacheDir = dirs.make()) => ({ endpoint: hub.endpoint, cacheDir, ...FAST });

  it('loadConfig parses config.json', async () => {
    const config = await loadConfig('org/bert-tiny', opts());
    expect(config).toEqual(JSON.parse(readFileSync(join(BERT_TINY, 'config.json'), 'utf8')));
  });

  it('loads model.safetensors: names, shapes and values as written by hand', async () => {
    const weights = await loadWeights('org/single', opts());
    expectWeights(weights, [A, B, C]);
    nx.dispose(weights.map(([, t]) => t));
    // the index was probed first (404), then model.safetensors; pytorch_model.safetensors never asked
    expect(
      hub.requests.filter((r) => r.server === 'hub' && r.method === 'HEAD').map((r) => r.path.split('/').pop()),
    ).toEqual(['model.safetensors.index.json', 'model.safetensors']);
  });

  it('falls back to pytorch_model.safetensors, then model-00001-of-00001.safetensors', async () => {
    const a = await loadWeights('org/pt-named', opts());
    expectWeights(a, [A]);
    const b = await loadWeights('org/one-shard', opts());
    expectWeights(b, [B]);
    nx.dispose([...a, ...b].map(([, t]) => t));
  });

  it('loads a sharded checkpoint: index first, every shard downloaded, tensors merged', async () => {
    const cacheDir = dirs.make();
    const before = nx.memory().numTensors;
    const weights = await loadWeights('org/sharded', opts(cacheDir));
    expectWeights(weights, [A, B, C]);
    const files = await downloadWeights('org/sharded', opts(cacheDir));
    expect(files.filenames).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(files.weightMap?.[C[0]]).toBe('model-00002-of-00002.safetensors');
    nx.dispose(weights.map(([, t]) => t));
    expect(nx.memory().numTensors).toBe(before);
  });

  it('loads a pinned sharded commit from the cache with no request, and offline by branch', async () => {
    const cacheDir = dirs.make();
    nx.dispose((await loadWeights('org/sharded', opts(cacheDir))).map(([, t]) => t));
    hub.requests.length = 0;
    const commit = hub.commitOf('org/sharded');
    const pinned = await loadWeights('org/sharded', { ...opts(cacheDir), revision: commit });
    expectWeights(pinned, [A, B, C]);
    const offline = await loadWeights('org/sharded', { ...opts(cacheDir), offline: true });
    expectWeights(offline, [A, B, C]);
    expect(hub.requests).toHaveLength(0);
    nx.dispose([...pinned, ...offline].map(([, t]) => t));
  });

  it('offline, a single-file checkpoint is found although the index was never cached', async () => {
    const cacheDir = dirs.make();
    nx.dispose((await loadWeights('org/single', opts(cacheDir))).map(([, t]) => t));
    hub.requests.length = 0;
    const offline = await loadWeights('org/single', { ...opts(cacheDir), offline: true });
    expectWeights(offline, [A, B, C]);
    expect(hub.requests).toHaveLength(0);
    nx.dispose(offline.map(([, t]) => t));
  });

  it('refuses pickle-only repositories, says why and what to do, and downloads no pickle byte', async () => {
    const err = await rejection(loadWeights('org/pickle', opts()));
    expect(err).toBeInstanceOf(UnsupportedWeightsError);
    expect(err.message).toContain('pytorch_model.bin');
    expect(err.message).toContain('arbitrary code');
    expect(err.message).toContain('safetensors');
    expect(hub.requests.filter((r) => r.method === 'GET')).toHaveLength(0);
  });

  it('a repository without weights: EntryNotFoundError listing what was looked for', async () => {
    const err = await rejection(loadWeights('org/empty', opts()));
    expect(err).toBeInstanceOf(EntryNotFoundError);
    expect(err.message).toContain('model.safetensors.index.json, model.safetensors, pytorch_model.safetensors');
  });

  it('refuses an index whose weight_map leaves the repository, before any shard request or write', async () => {
    for (const repo of ['org/evil-index', 'org/abs-index']) {
      const cacheDir = dirs.make();
      hub.requests.length = 0;
      const err = await rejection(loadWeights(repo, opts(cacheDir)));
      expect(err, repo).toBeInstanceOf(UnsafePathError);
      expect(err.message).toContain('listed in an index file');
      expect(hub.requests.map((r) => r.path.split('/').pop())).toEqual([
        'model.safetensors.index.json',
        'model.safetensors.index.json',
      ]);
      expect(existsSync(join(cacheDir, 'evil.safetensors'))).toBe(false);
      expect(readdirSync(join(cacheDir, `models--${repo.replace('/', '--')}`, 'blobs'))).toHaveLength(1); // the index only
    }
  });

  it('an index naming tensors its shards lack, or shards repeating a tensor: ModelLoadError, tensors freed', async () => {
    const before = nx.memory().numTensors;
    const stale = await rejection(loadWeights('org/stale-index', opts()));
    expect(stale).toBeInstanceOf(ModelLoadError);
    expect(stale.message).toContain('"missing.weight" (in s1.safetensors)');
    const dup = await rejection(loadWeights('org/dup', opts()));
    expect(dup).toBeInstanceOf(ModelLoadError);
    expect(dup.message).toContain(`"${A[0]}" of "org/dup" is in both s1.safetensors and s2.safetensors`);
    expect(nx.memory().numTensors).toBe(before);
  });

  it('reads a local folder (the bert-tiny fixture) without network', async () => {
    const folder = BERT_TINY;
    const config = await loadConfig(folder, opts());
    expect(config).toEqual(JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')));
    const weights = await loadWeights(folder, opts());
    const viaHub = await loadWeights('org/bert-tiny', opts());
    expect(weights.map(([n, t]) => [n, t.shape])).toEqual(viaHub.map(([n, t]) => [n, t.shape]));
    expect(weights.length).toBeGreaterThan(10);
    expect(hub.requests.filter((r) => r.path.includes('bert-tiny')).length).toBeGreaterThan(0); // only the second call
    nx.dispose([...weights, ...viaHub].map(([, t]) => t));
  });
});
