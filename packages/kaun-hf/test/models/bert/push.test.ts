/**
 * Done-means of sharing (issue 12): a fine-tuned BERT pushed to the loopback Hub with
 * `Bert.pushToHub` and loaded back by id with `Bert.fromPretrained` in a fresh process gives
 * identical predictions; the same for a 3-shard checkpoint uploaded with `uploadFolder`. Also the
 * model card, an existing card kept, the temporary folder removed.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import * as nx from '@raven/nx';
import { Loss, Optim, Train } from '@raven/kaun';
import { Bert, createRepo, pushToHub, uploadFile, uploadFolder } from '@raven/kaun-hf';

import { type HubServer, startHubServer } from '../../helpers/hub-server.js';
import { tempDirs, USERS } from '../../hub/_util.js';
import { TINY } from './_fixtures.js';

const CHILD = fileURLToPath(new URL('./child-predict.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../../../../node_modules/.bin/tsx', import.meta.url));
const TEXTS = ['win a free cruise now', 'see you at lunch tomorrow', 'claim your prize today!!!'];

/** Loads `source` in a fresh process with an empty cache; its logits and the files it fetched. */
function predictElsewhere(endpoint: string, source: string, cacheRoot: string): Promise<{ logits: number[][]; files: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, ['--conditions=source', CHILD, source, JSON.stringify(TEXTS)], {
      env: { ...process.env, HF_ENDPOINT: endpoint, HF_TOKEN: 'hf_alice', RAVEN_CACHE_ROOT: cacheRoot, NX_BACKEND: process.env.NX_BACKEND ?? 'wasm' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

describe('sharing a fine-tuned BERT through the Hub', () => {
  let hub: HubServer;
  const dirs = tempDirs();
  let tuned: { model: Bert.SequenceClassifier; vars: Awaited<ReturnType<typeof Bert.fromPretrained>>['vars']; tokenizer: NonNullable<Awaited<ReturnType<typeof Bert.fromPretrained>>['tokenizer']> };
  let expected: number[][];
  beforeAll(async () => {
    hub = await startHubServer({ repos: {}, users: USERS });
    const bert = await Bert.fromPretrained(TINY, { logger: false });
    const tokenizer = bert.tokenizer!;
    const { y: before } = bert.model.apply(bert.vars, tokenizer.encodeBatch(TEXTS, { maxLength: 32 }));
    const untuned = nx.toArray(before.logits);
    const batches = [{ x: tokenizer.encodeBatch(['win money now', 'free prize inside', 'lunch at noon?', 'see you tomorrow']), y: nx.fromArray([1, 1, 0, 0], { dtype: 'int32' }) }];
    const trainer = Train.make({
      model: bert.model,
      optimizer: Optim.adamw({ lr: 5e-3, weightDecay: 0.01 }),
      loss: (out, labels: nx.Tensor) => Loss.softmaxCrossEntropy(out.logits, labels),
    });
    const fit = await Train.fit(trainer, Train.makeState(trainer, bert.vars), batches, { epochs: 3, progress: false });
    tuned = { model: bert.model, vars: Train.vars(fit.state), tokenizer };
    const { y } = tuned.model.apply(tuned.vars, tokenizer.encodeBatch(TEXTS, { maxLength: 32 }));
    expected = nx.toArray(y.logits) as number[][];
    // the fine-tuning changed the model: its predictions differ from the fixture's
    expect(untuned).not.toEqual(expected);
  }, 120_000);
  afterAll(async () => hub.close());
  afterEach(() => dirs.cleanup());

  it('Bert.pushToHub, then Bert.fromPretrained by id in a fresh process: identical predictions', async () => {
    const before = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('kaun-hf-push-')));
    const result = await Bert.pushToHub('spam-bert', {
      ...tuned,
      endpoint: hub.endpoint,
      token: 'hf_alice',
      private: true,
      modelCard: { baseModel: 'raven-fixtures/bert-tiny', datasets: ['spam-toy'], metrics: { accuracy: 1 } },
    });
    expect(result).toMatchObject({ repoId: 'alice/spam-bert', repoUrl: `${hub.endpoint}/alice/spam-bert`, committed: true });
    expect(hub.repoState('alice/spam-bert')).toEqual({ private: true });
    expect(hub.files('alice/spam-bert')).toEqual(['.gitattributes', 'README.md', 'config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
    const card = hub.fileBytes('alice/spam-bert', 'README.md').toString();
    expect(card).toMatch(/^---\nbase_model: raven-fixtures\/bert-tiny\nlibrary_name: transformers\npipeline_tag: text-classification\n/);
    expect(card).toContain('model-index:');
    expect(card).toContain('| accuracy | 1 |');
    expect(card).toContain("Bert.fromPretrained('alice/spam-bert')");
    // the temporary folder is gone
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('kaun-hf-push-') && !before.has(f))).toEqual([]);

    const got = await predictElsewhere(hub.endpoint, 'alice/spam-bert', dirs.make());
    expect(got.logits).toEqual(expected);
    expect(got.files).toContain('model.safetensors');
  }, 120_000);

  it('pushing again changes nothing; an existing model card is never replaced', async () => {
    await uploadFile('alice/spam-bert', { endpoint: hub.endpoint, token: 'hf_alice', source: new TextEncoder().encode('# my own card\n'), pathInRepo: 'README.md' });
    const head = hub.commitOf('alice/spam-bert');
    const again = await Bert.pushToHub('alice/spam-bert', { ...tuned, endpoint: hub.endpoint, token: 'hf_alice' });
    expect(again).toMatchObject({ committed: false, oid: head, uploaded: [] });
    expect(hub.fileBytes('alice/spam-bert', 'README.md').toString()).toBe('# my own card\n');
  }, 120_000);

  it('a 3-shard checkpoint uploaded with uploadFolder loads by id in a fresh process: identical predictions', async () => {
    const folder = dirs.make();
    const saved = await Bert.savePretrained(folder, { ...tuned, maxShardSize: 60_000 });
    const shards = saved.files.filter((f) => /^model-\d{5}-of-00003\.safetensors$/.test(f));
    expect(shards).toHaveLength(3);
    await createRepo('org/spam-bert-sharded', { endpoint: hub.endpoint, token: 'hf_alice' });
    const info = await uploadFolder(folder, 'org/spam-bert-sharded', { endpoint: hub.endpoint, token: 'hf_alice', commitMessage: 'sharded' });
    expect(info.committed).toBe(true);
    expect(hub.files('org/spam-bert-sharded')).toEqual(expect.arrayContaining([...shards, 'model.safetensors.index.json', 'config.json']));
    const got = await predictElsewhere(hub.endpoint, 'hf://org/spam-bert-sharded', dirs.make());
    expect(got.logits).toEqual(expected);
    expect(got.files).toEqual(expect.arrayContaining([...shards, 'model.safetensors.index.json']));
  }, 120_000);

  it('the generic pushToHub runs any save function and cleans up when it fails', async () => {
    const before = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('kaun-hf-push-')));
    let seen = '';
    const err = await pushToHub('org/broken', {
      endpoint: hub.endpoint,
      token: 'hf_alice',
      save: (dir) => {
        seen = dir;
        throw new Error('disk full');
      },
    }).catch((e: Error) => e);
    expect((err as Error).message).toBe('disk full');
    expect(existsSync(seen)).toBe(false);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('kaun-hf-push-') && !before.has(f))).toEqual([]);
    expect(hub.files('org/broken')).toEqual(['.gitattributes']); // created, nothing committed
    expect(existsSync(join(seen, 'README.md'))).toBe(false);
  });
});
