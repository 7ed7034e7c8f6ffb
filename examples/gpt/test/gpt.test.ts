// examples/gpt: the BPE trainer's tokenizer agrees with Hugging Face's Rust tokenizers and
// round-trips text; a few training steps save a Hugging Face folder that reloads identically and
// samples; --from generates from a fixture checkpoint exactly as transformers did.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Tokenizer } from '@raven/kaun-hf';
import { trainBpe } from '../src/bpe.js';
import { mobyDick, splitChapters } from '../src/data.js';
import { generateFrom } from '../src/generate.js';
import { trainGpt } from '../src/train.js';

const out = mkdtempSync(join(tmpdir(), 'example-gpt-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

interface RustTokenizer {
  encode(text: string, pair?: string | null, options?: { addSpecialTokens?: boolean }): Promise<{ getIds(): number[] }>;
}
const rust = createRequire(import.meta.url)('tokenizers') as { Tokenizer: { fromFile(file: string): RustTokenizer } };

describe('examples/gpt', () => {
  it('reads Moby-Dick in chapter order and holds chapters out for validation', () => {
    const chapters = mobyDick();
    expect(chapters.length).toBeGreaterThan(130);
    expect(chapters.find((c) => c.text.startsWith('Call me Ishmael.'))).toBeDefined();
    const { train, validation } = splitChapters();
    expect(train.length + validation.length).toBe(chapters.length);
    expect(validation.filter((v) => train.includes(v))).toEqual([]);
  });

  it('trains a byte-level BPE that Hugging Face tokenizers (Rust) reads with the same ids, and that round-trips text', async () => {
    const text = mobyDick().slice(0, 8).map((c) => c.text).join('\n\n');
    const { json, config } = trainBpe(text, { vocabSize: 600 });
    const tok = Tokenizer.fromJSON(json, config);
    expect(tok.vocabSize).toBe(600);
    expect(tok.eosTokenId).toBe(599);
    const file = join(out, 'tokenizer.json');
    writeFileSync(file, JSON.stringify(json));
    const r = rust.Tokenizer.fromFile(file);
    for (const sample of ['Call me Ishmael. Some years ago—never mind how long precisely—', 'naïve café 🐋 “quoted” 12,345', text.slice(5000, 7000)]) {
      expect(tok.encode(sample).ids).toEqual((await r.encode(sample)).getIds());
      expect(tok.decode(tok.encode(sample).ids)).toBe(sample);
    }
    // merges compress: common words are single tokens
    expect(tok.encode(' the').ids).toHaveLength(1);
  });

  it('trains a few steps, saves a Hugging Face folder, reloads it identically and samples from it', async () => {
    const lines: string[] = [];
    const written: string[] = [];
    const before = nx.memory().numTensors;
    const r = await trainGpt({
      out: join(out, 'gpt'), maxSteps: 3, chapters: 4, batchSize: 4, size: { nEmbd: 32, nLayer: 1, nHead: 2, context: 32, vocabSize: 300 },
      log: (l) => lines.push(l), write: (s) => written.push(s), sampleTokens: 8,
    });
    expect(r.steps).toBe(3);
    expect(r.reloadIdentical).toBe(true);
    expect(Number.isFinite(r.validationLoss)).toBe(true);
    for (const f of ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) expect(existsSync(join(r.modelDir, f))).toBe(true);
    expect(JSON.parse(readFileSync(join(r.modelDir, 'config.json'), 'utf8'))).toMatchObject({ model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_embd: 32, vocab_size: 300 });
    expect(written.join('')).toBe(r.sample + '\n');
    expect(lines.some((l) => /^trained 3 steps/.test(l))).toBe(true);
    expect(nx.memory().numTensors).toBe(before);
  }, 120_000);

  it('--from: generates greedily from the GPT-2 fixture exactly as transformers did', async () => {
    const fixture = fileURLToPath(new URL('../../../fixtures/gpt2-tiny', import.meta.url));
    const ref = JSON.parse(readFileSync(join(fixture, 'reference.json'), 'utf8')) as { prompts: string[]; greedy_single: { text: string; max_new_tokens: number } };
    const written: string[] = [];
    const r = await generateFrom(fixture, { prompt: ref.prompts[0]!, temperature: 0, maxNewTokens: ref.greedy_single.max_new_tokens, write: (s) => written.push(s) });
    expect(ref.prompts[0]! + r.text).toBe(ref.greedy_single.text);
    expect(written.join('')).toBe(`${ref.greedy_single.text}\n`);
    expect(r.modelType).toBe('gpt2');
  }, 60_000);
});
