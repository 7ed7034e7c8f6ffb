import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as nx from '@raven/nx';
import { specRead } from './spec-reader.js';

const fixture = (p: string) => fileURLToPath(new URL(`../../../../fixtures/${p}`, import.meta.url));

// Expected values were computed with numpy 2.4.6 (np.frombuffer on the files' own bytes), not
// with nx; see the fixtures' PROVENANCE.md for how PyTorch wrote the files.
describe('files written by PyTorch / Hugging Face', () => {
  it('bert-tiny (F32): header, shapes against config.json, values', async () => {
    const path = fixture('bert-tiny/model.safetensors');
    const config = JSON.parse(await readFile(fixture('bert-tiny/config.json'), 'utf8')) as Record<string, number>;
    const header = await nx.io.readSafetensorsHeader(path);
    expect({ ...header.metadata }).toEqual({ format: 'pt' });
    expect(header.names.length).toBe(41);
    expect(Object.values(header.tensors).every((t) => t.dtype === 'F32')).toBe(true);
    expect(header.tensors['bert.embeddings.word_embeddings.weight']!.shape).toEqual([config.vocab_size, config.hidden_size]);
    expect(header.tensors['bert.encoder.layer.1.intermediate.dense.weight']!.shape).toEqual([config.intermediate_size, config.hidden_size]);
    expect(header.tensors['classifier.weight']!.shape).toEqual([2, config.hidden_size]);

    const { tensors } = await nx.io.loadSafetensors(path, { names: ['classifier.bias', 'classifier.weight', 'bert.embeddings.word_embeddings.weight'] });
    const byName = new Map(tensors);
    expect(Array.from(nx.toTypedArray(byName.get('classifier.bias')!))).toEqual([0.021246368065476418, 0.02528231032192707]);
    const w = nx.toTypedArray(byName.get('classifier.weight')!);
    expect(Array.from(w).reduce((a, b) => a + b, 0)).toBeCloseTo(-0.04067849210696295, 6);
    const emb = nx.toTypedArray(byName.get('bert.embeddings.word_embeddings.weight')!);
    expect(Array.from(emb.subarray(101 * 32, 101 * 32 + 3))).toEqual([-0.05225483328104019, -0.028647299855947495, 0.033890385180711746]);
    nx.dispose(tensors);
  });

  it('bert-mini-mlm (F16): every tensor matches an independent reader; known values', async () => {
    const path = fixture('bert-mini-mlm/model.safetensors');
    const bytes = new Uint8Array(await readFile(path));
    const spec = specRead(bytes);
    const { tensors, dtypes, metadata } = await nx.io.loadSafetensors(path);
    expect({ ...metadata }).toEqual({ format: 'pt' });
    expect(tensors.length).toBe(76);
    expect(new Set(Object.values(dtypes))).toEqual(new Set(['F16']));
    let checked = 0;
    for (const [name, t] of tensors) {
      const ref = spec.tensors.get(name)!;
      expect(t.shape).toEqual(ref.shape);
      expect(t.dtype).toBe('float32');
      const got = nx.toTypedArray(t);
      for (let i = 0; i < got.length; i++) {
        if (got[i] !== ref.values[i]) throw new Error(`${name}[${i}]: ${got[i]} vs ${ref.values[i]}`);
      }
      checked += got.length;
    }
    expect(checked).toBeGreaterThan(4_000_000);
    const byName = new Map(tensors);
    expect(Array.from(nx.toTypedArray(byName.get('bert.embeddings.LayerNorm.weight')!).subarray(0, 4))).toEqual([1.0263671875, 1.0107421875, 0.9560546875, 0.99853515625]);
    const word = nx.toTypedArray(byName.get('bert.embeddings.word_embeddings.weight')!);
    expect(Array.from(word.subarray(101 * 128, 101 * 128 + 3))).toEqual([0.0022792816162109375, -0.01540374755859375, 0.01058197021484375]);
    let sum = 0;
    for (const v of word) sum += v;
    expect(sum).toBeCloseTo(6902.212843716145, 6);
    // F16 -> float32 -> F16 is lossless: re-saving as F16 reproduces the data section bit for bit
    const again = nx.io.serializeSafetensors(tensors, { dtype: 'F16', metadata: { format: 'pt' } });
    const n = Number(new DataView(again.buffer).getBigUint64(0, true));
    // (Buffer.equals: a deep toEqual over 9.5 MB is far too slow)
    expect(Buffer.from(again.subarray(8 + n)).equals(Buffer.from(bytes.subarray(8 + spec.headerLength)))).toBe(true);
    nx.dispose(tensors);
  }, 60_000);
});
