import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Bert, ModelLoadError } from '@raven/kaun-hf';
import { startHubServer } from '../../helpers/hub-server.js';
import { TINY, maxAbsDiff, tinyInputs, tinyReference } from './_fixtures.js';

const made: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'kaun-hf-bert-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A copy of bert-tiny (config and tokenizer) whose weights are `edit(original tensors)`. */
async function editedTiny(edit: (entries: Array<[string, nx.Tensor]>) => Array<[string, nx.Tensor]>, dtypes?: Record<string, 'I64'>): Promise<string> {
  const dir = tempDir();
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']) copyFileSync(join(TINY, f), join(dir, f));
  const { tensors } = await nx.io.loadSafetensors(join(TINY, 'model.safetensors'));
  const edited = edit(tensors);
  await nx.io.saveSafetensors(join(dir, 'model.safetensors'), edited, { metadata: { format: 'pt' }, ...(dtypes ? { dtypes } : {}) });
  nx.dispose([tensors, edited]);
  return dir;
}

async function logitsOf(dir: string, options: Bert.FromPretrainedOptions & { architecture?: 'BertForSequenceClassification' } = {}): Promise<{ diff: number; report: Bert.LoadReport; warnings: string[] }> {
  const ref = tinyReference();
  const warnings: string[] = [];
  const { model, vars, report } = await Bert.fromPretrained(dir, { logger: { warn: (m) => warnings.push(m) }, tokenizer: false, ...options });
  const inputs = tinyInputs(ref);
  const { y } = model.apply(vars, inputs);
  const diff = maxAbsDiff(y.logits, ref.logits);
  nx.dispose([y, inputs, vars.params]);
  return { diff, report, warnings };
}

describe('Bert.fromPretrained key mapping', { timeout: 60_000 }, () => {
  it('reads legacy LayerNorm.gamma / LayerNorm.beta names', async () => {
    const dir = await editedTiny((es) => es.map(([k, t]) => [k.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'), nx.copy(t)]));
    const { diff, report, warnings } = await logitsOf(dir);
    expect(diff).toBeLessThan(1e-4);
    expect(report.newlyInitialized).toEqual([]);
    expect(report.unused).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('loads a base-model checkpoint (no bert. prefix, I64 position_ids) into the classifier with a fresh head', async () => {
    const dir = await editedTiny(
      (es) => [
        ...es.filter(([k]) => !k.startsWith('classifier.')).map(([k, t]) => [k.slice('bert.'.length), nx.copy(t)] as [string, nx.Tensor]),
        ['embeddings.position_ids', nx.reshape(nx.arange(0, 64, 1, 'int32'), [1, 64])],
      ],
      { 'embeddings.position_ids': 'I64' },
    );
    const ref = tinyReference();
    const warnings: string[] = [];
    const { model, vars, report } = await Bert.fromPretrained(dir, { logger: { warn: (m) => warnings.push(m) }, tokenizer: false });
    expect(report.newlyInitialized).toEqual(['classifier.weight', 'classifier.bias']);
    expect(report.unused).toEqual([]); // position_ids is a buffer, ignored silently
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/Some weights of BertForSequenceClassification were not initialized from the model checkpoint .* newly initialized: \['classifier.weight', 'classifier.bias'\]/);
    const inputs = tinyInputs(ref);
    const { y } = model.apply(vars, inputs);
    expect(maxAbsDiff(y.lastHiddenState, ref.last_hidden_state)).toBeLessThan(1e-4);
    nx.dispose([y, inputs, vars.params]);
    // the same checkpoint as BertModel: nothing fresh, nothing unused
    const base = await Bert.fromPretrained(dir, { architecture: 'BertModel', logger: false, tokenizer: false });
    expect(base.report).toEqual({ newlyInitialized: [], unused: [], mismatched: [] });
    nx.dispose(base.vars.params);
  });

  it('names every missing key in a ModelLoadError', async () => {
    const gone = ['bert.encoder.layer.1.output.dense.weight', 'bert.pooler.dense.bias'];
    const dir = await editedTiny((es) => es.filter(([k]) => !gone.includes(k)).map(([k, t]) => [k, nx.copy(t)]));
    const before = nx.memory().numTensors;
    const err = await Bert.fromPretrained(dir, { logger: false, tokenizer: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toContain("'bert.encoder.layer.1.output.dense.weight'");
    expect((err as Error).message).toContain("'bert.pooler.dense.bias'");
    expect((err as Error).message).toMatch(/lacks 2 weight/);
    expect(nx.memory().numTensors).toBe(before); // nothing leaked on error
  });

  it('refuses a head of another size unless ignoreMismatchedSizes', async () => {
    const err = await Bert.fromPretrained(TINY, { numLabels: 3, logger: false, tokenizer: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/'classifier.weight' has shape \[2, 32\], the model expects \[3, 32\]/);
    const warnings: string[] = [];
    const { vars, report, config } = await Bert.fromPretrained(TINY, { numLabels: 3, ignoreMismatchedSizes: true, logger: { warn: (m) => warnings.push(m) }, tokenizer: false });
    expect(config.num_labels).toBe(3);
    expect(config.id2label).toEqual({ 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' });
    expect(report.mismatched.map((m) => m.key)).toEqual(['classifier.weight', 'classifier.bias']);
    expect(warnings.join('\n')).toMatch(/classifier.weight: found shape \[2, 32\] in the checkpoint and \[3, 32\] in the model/);
    nx.dispose(vars.params);
  });
});

describe('Bert.fromPretrained from the Hub (a fake Hub on loopback)', { timeout: 60_000 }, () => {
  it('loads a model id and hf://org/name through the cache, then offline from the cache', async () => {
    const hub = await startHubServer({ repos: { 'org/bert-tiny': { folder: TINY } } });
    const cacheDir = tempDir();
    try {
      const hubOpts = { endpoint: hub.endpoint, cacheDir, token: false as const };
      const a = await logitsOf('org/bert-tiny', { ...hubOpts, tokenizer: true }); // caches the tokenizer files too
      expect(a.diff).toBeLessThan(1e-4);
      const b = await logitsOf('hf://org/bert-tiny', hubOpts);
      expect(b.diff).toBeLessThan(1e-4);
      const served = hub.requests.length;
      const c = await Bert.fromPretrained('org/bert-tiny', { ...hubOpts, offline: true, logger: false });
      expect(hub.requests.length).toBe(served); // no network offline
      expect(c.tokenizer?.encode('hello world').tokens).toEqual(['[CLS]', 'hello', 'world', '[SEP]']);
      nx.dispose(c.vars.params);
    } finally {
      await hub.close();
    }
  });
});
