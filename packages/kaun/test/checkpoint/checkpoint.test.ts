import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, mkdir, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nx from '@raven/nx';
import { Checkpoint, CheckpointError, CheckpointKeyError, Ptree } from '@raven/kaun';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'kaun-ckpt-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const fixture = (p: string) => fileURLToPath(new URL(`../../../../fixtures/${p}`, import.meta.url));

function makeTree() {
  return {
    layers: [
      { weight: nx.fromArray([[1, 2, 3], [4, 5, 6]]), bias: nx.fromArray([0.5, -0.5]) },
      { weight: nx.fromArray([[7, 8]]), bias: nx.fromArray([1e-8]) },
    ],
    embed: { table: nx.fromArray(Float32Array.from({ length: 12 }, (_, i) => i / 7), { shape: [4, 3] }) },
    state: { count: nx.scalar(3, 'int32'), mask: nx.fromArray([true, false]) },
  };
}

function expectSameTree(a: Ptree.Tree, b: Ptree.Tree): void {
  const fa = Ptree.flattenWithPaths(a);
  const fb = Ptree.flattenWithPaths(b);
  expect(fb.map(([p]) => p)).toEqual(fa.map(([p]) => p));
  fa.forEach(([p, x], i) => {
    const y = fb[i]![1];
    expect([p, y.dtype, y.shape]).toEqual([p, x.dtype, x.shape]);
    expect(Array.from(nx.toTypedArray(y))).toEqual(Array.from(nx.toTypedArray(x)));
  });
}

describe('Checkpoint.save / load', () => {
  it('round-trips a tree with its paths as keys, leaking nothing', async () => {
    const tree = makeTree();
    const path = join(dir, 'basic', 'model.safetensors'); // the folder is created
    await Checkpoint.save(path, tree, { metadata: { note: 'hello' } });
    const header = await nx.io.readSafetensorsHeader(path);
    expect(header.names).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias', 'embed.table', 'state.count', 'state.mask']);
    expect(header.tensors['state.count']!.dtype).toBe('I32');
    expect(header.tensors['state.mask']!.dtype).toBe('BOOL');
    expect(header.metadata.note).toBe('hello');

    const before = nx.memory().numTensors;
    const back = await Checkpoint.load(path, { like: tree });
    expect(nx.memory().numTensors).toBe(before + 7);
    expectSameTree(tree, back);
    expect(Array.isArray(back.layers)).toBe(true);
    Ptree.dispose(back);

    // without a template: the tree is rebuilt from the paths (layers.0 -> a list)
    const rebuilt = await Checkpoint.load(path);
    expectSameTree(tree, rebuilt);
    Ptree.dispose(rebuilt);
    // a folder resolves to model.safetensors
    const viaDir = await Checkpoint.load(join(dir, 'basic'), { like: tree });
    expectSameTree(tree, viaDir);
    Ptree.dispose([viaDir, tree]);
    expect(nx.memory().numTensors).toBe(before - 7);
  });

  it('casts to the template dtype, ignores extra keys, stores F16 on request', async () => {
    const path = join(dir, 'cast.safetensors');
    const w = nx.fromArray([0.1, 2.75, -3]);
    const extra = nx.ones([5]);
    await Checkpoint.save(path, { w, extra }, { dtype: 'F16' });
    expect((await nx.io.readSafetensorsHeader(path)).tensors.w!.dtype).toBe('F16');
    const template = { w: nx.zeros([3], 'int32') };
    const back = await Checkpoint.load(path, { like: template });
    expect(Object.keys(back)).toEqual(['w']);
    expect(back.w.dtype).toBe('int32');
    expect(nx.toArray(back.w)).toEqual([0, 2, -3]); // F16(0.1) = 0.0999..., truncated toward zero by the cast
    const asFloat = await Checkpoint.load(path, { like: { w } });
    expect(Array.from(nx.toTypedArray(asFloat.w))).toEqual([0.0999755859375, 2.75, -3]);
    nx.dispose([w, extra, template.w, back.w, asFloat.w]);
  });

  it('names the key (and both shapes) when the template does not fit', async () => {
    const path = join(dir, 'keys.safetensors');
    const a = nx.zeros([2, 3]);
    await Checkpoint.save(path, { enc: { a } });
    const before = nx.memory().numTensors;
    const wrongShape = { enc: { a: nx.zeros([3, 2]) } };
    await expect(Checkpoint.load(path, { like: wrongShape })).rejects.toThrow(CheckpointKeyError);
    await expect(Checkpoint.load(path, { like: wrongShape })).rejects.toThrow(/key "enc.a" has shape \[2, 3\] in .* but the template expects \[3, 2\]/);
    const missing = { enc: { a: nx.zeros([2, 3]), b: nx.zeros([4]) } };
    await expect(Checkpoint.load(path, { like: missing })).rejects.toThrow(/1 key\(s\) of the template missing .*"enc.b" \(expected shape \[4\]\)/);
    nx.dispose([wrongShape, missing]);
    expect(nx.memory().numTensors).toBe(before);
    await expect(Checkpoint.save(join(dir, 'bare.safetensors'), a)).rejects.toThrow(/single tensor/);
    await expect(Checkpoint.load(join(dir, 'nothing-here.safetensors'))).rejects.toThrow(CheckpointError);
    nx.dispose(a);
  });

  it('loadFlat and info read keys as stored, e.g. a Hugging Face F16 checkpoint in a folder', async () => {
    const folder = join(dir, 'hf');
    await mkdir(folder);
    await copyFile(fixture('bert-mini-mlm/model.safetensors'), join(folder, 'model.safetensors'));
    const meta = await Checkpoint.info(folder);
    expect(meta.kind).toBe('file');
    expect(Object.keys(meta.tensors).length).toBe(76);
    expect(meta.tensors['bert.embeddings.word_embeddings.weight']).toMatchObject({ dtype: 'F16', shape: [30522, 128] });
    expect(meta.metadata.format).toBe('pt');
    const { tensors, dtypes } = await Checkpoint.loadFlat(folder, { names: ['bert.embeddings.LayerNorm.weight', 'cls.predictions.bias'] });
    expect(Object.keys(tensors)).toEqual(['bert.embeddings.LayerNorm.weight', 'cls.predictions.bias']);
    expect(dtypes['cls.predictions.bias']).toBe('F16');
    // value computed with numpy from the file's bytes (see packages/nx/test/io/fixtures.test.ts)
    expect(Array.from(nx.toTypedArray(tensors['bert.embeddings.LayerNorm.weight']!).subarray(0, 2))).toEqual([1.0263671875, 1.0107421875]);
    nx.dispose(Object.values(tensors));
    await expect(Checkpoint.loadFlat(folder, { names: ['nope'] })).rejects.toThrow(/"nope"/);
  });
});

describe('Checkpoint.saveTrees / loadTrees', () => {
  it('stores several trees under prefixes with JSON extras, and restores them into templates', async () => {
    const params = { dense: { weight: nx.fromArray([[1, 2]]), bias: nx.fromArray([3]) } };
    const state = {};
    const opt: Ptree.Tree = [{ count: nx.scalar(4, 'int32') }, { mu: { dense: { weight: nx.fromArray([[0.1, 0.2]]), bias: nx.fromArray([0.3]) } } }];
    const path = join(dir, 'train', 'ckpt.safetensors');
    await Checkpoint.saveTrees(path, { params, state, opt }, { extras: { step: 4, epoch: 1, lr: 0.001 } });
    const header = await nx.io.readSafetensorsHeader(path);
    expect(header.names).toEqual(['params.dense.weight', 'params.dense.bias', 'opt.0.count', 'opt.1.mu.dense.weight', 'opt.1.mu.dense.bias']);

    const like = { params: Ptree.zerosLike(params), state: {}, opt: Ptree.zerosLike(opt) };
    const { trees, extras } = await Checkpoint.loadTrees(path, { like });
    expect(extras).toEqual({ step: 4, epoch: 1, lr: 0.001 });
    expectSameTree({ params, state, opt }, trees);
    // a template asking only for params ignores the rest of the file
    const onlyParams = await Checkpoint.loadTrees(path, { like: { params: like.params } });
    expectSameTree(params, onlyParams.trees.params);
    await expect(Checkpoint.saveTrees(path, { 'a.b': params })).rejects.toThrow(/no '\.'/);
    Ptree.dispose([params, opt, like.params, like.opt, trees.params, trees.opt, onlyParams.trees.params]);
    expect((await readdir(join(dir, 'train'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(JSON.parse(header.metadata['raven.extras']!)).toEqual({ step: 4, epoch: 1, lr: 0.001 });
    expect((await readFile(path)).byteLength).toBeGreaterThan(0);
  });
});
