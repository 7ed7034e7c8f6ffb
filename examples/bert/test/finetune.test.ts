import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Bert } from '@raven/kaun-hf';
import { cleanEmail, loadSpamAssassin } from '../src/data.js';
import { runChild } from '../../../packages/nx-native/src/child.js';
import { fineTune, RANDOM_BERT_BASE } from '../src/finetune.js';

const TINY = fileURLToPath(new URL('../../../fixtures/bert-tiny', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'example-bert-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('examples/bert', { timeout: 60_000 }, () => {
  it('cleans emails to subject and body', () => {
    const raw = 'From: a@b.c\nSubject: Cheap\n  meds now\nX-Spam: yes\n\n<html><body><p>Buy&nbsp;now &amp; save</p>\n\n<script>x()</script></body></html>';
    expect(cleanEmail(raw)).toBe('Cheap meds now. Buy now & save');
  });

  it('splits the corpus into fixed, disjoint sets', () => {
    const a = loadSpamAssassin({ trainSize: 40, testSize: 20, seed: 3 });
    const b = loadSpamAssassin({ trainSize: 40, testSize: 20, seed: 3 });
    expect(a.train.map((e) => e.text)).toEqual(b.train.map((e) => e.text));
    const train = new Set(a.train.map((e) => e.text));
    expect(a.test.filter((e) => train.has(e.text)).length).toBeLessThanOrEqual(1); // the corpus has a few duplicate emails
    expect(a.train.every((e) => e.label === (e.group.startsWith('spam') ? 1 : 0))).toBe(true);
  }, 60_000);

  it('fine-tunes a few steps, checkpoints, resumes, and saves a model that reloads to the same predictions', async () => {
    const logs: string[] = [];
    const common = { model: TINY, out, trainSize: 48, testSize: 24, batchSize: 8, maxLength: 32, progress: false as const, log: (l: string) => logs.push(l) };
    const first = await fineTune({ ...common, epochs: 2, maxSteps: 4 });
    expect(first.steps).toBe(4);
    expect(first.resumed).toBe(false);
    expect(first.history).toHaveLength(1); // stopped inside epoch 1 (6 batches per epoch)
    expect(first.reloadIdentical).toBe(true);
    expect(first.accuracy).toBeGreaterThanOrEqual(0);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt', 'tokenizer_config.json']) expect(existsSync(join(first.modelDir, f))).toBe(true);
    expect(JSON.parse(readFileSync(join(first.modelDir, 'config.json'), 'utf8'))).toMatchObject({ architectures: ['BertForSequenceClassification'], id2label: { '0': 'ham', '1': 'spam' } });
    expect(existsSync(join(out, 'checkpoint', 'state.safetensors'))).toBe(true);

    // resume: continue at step 4 (epoch 1, batch 4) up to 10 steps in all
    const before = nx.memory().numTensors;
    const second = await fineTune({ ...common, epochs: 2, maxSteps: 10, resume: true });
    expect(second.resumed).toBe(true);
    expect(second.steps).toBe(10);
    expect(logs.some((l) => /resumed from .*: step 4, epoch 1, batch 4/.test(l))).toBe(true);
    expect(second.history.map((h) => [h.epoch, h.step])).toEqual([[1, 6], [2, 10]]);
    expect(second.reloadIdentical).toBe(true);
    expect(nx.memory().numTensors).toBe(before); // the run frees what it made

    // the saved folder is an ordinary checkpoint for Bert.fromPretrained
    const back = await Bert.fromPretrained(second.modelDir, { logger: false });
    expect(back.report.newlyInitialized).toEqual([]);
    expect(back.config.id2label).toEqual({ 0: 'ham', 1: 'spam' });
    nx.dispose(back.vars.params);
  }, 120_000);

  // BERT-base with AdamW needs about 2.5 GiB of live tensors at batch 8 x 128: past what the wasm
  // heap holds beside the rest, so it runs where the native backend runs (CI's native leg). It
  // runs as the README says, `npm start` in a child process, which also keeps this worker free to
  // answer the test runner while a step takes its seconds.
  it.runIf(nx.backendInfo().backend === 'tensorflow')('fine-tunes BERT-base (random weights) with AdamW at batch 8 x 128 on the native backend', async () => {
    const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
    const args = ['--model', RANDOM_BERT_BASE, '--batch-size', '8', '--max-length', '128', '--max-steps', '2', '--train-size', '16', '--test-size', '8', '--out', join(out, 'base')];
    const r = await runChild(tsx, ['--conditions=source', main, ...args], { env: { ...process.env, NX_BACKEND: 'tensorflow', HF_HUB_OFFLINE: '1' }, timeoutMs: 540_000 });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/hidden 768, 12 layers, 12 heads\), backend tensorflow/);
    expect(r.stdout).toMatch(/training: 1 epoch\(s\) of 2 batches of 8, 2 updates, AdamW/);
    expect(r.stdout).toMatch(/2 steps, .* reload identical/);
  }, 600_000);
});
