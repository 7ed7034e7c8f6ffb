import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, mkdir, copyFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nx from '@raven/nx';
import { Checkpoint, CheckpointError, CheckpointKeyError, Layer, Loss, Optim, Ptree, Train } from '@raven/kaun';

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

  it('casts to the template dtype when no value changes, ignores extra keys only when not strict, stores F16 on request', async () => {
    const path = join(dir, 'cast.safetensors');
    const w = nx.fromArray([0.1, 2.75, -3]);
    const n = nx.fromArray([1, -7, 65504]);
    const extra = nx.ones([5]);
    await Checkpoint.save(path, { w, n, extra }, { dtype: 'F16' });
    expect((await nx.io.readSafetensorsHeader(path)).tensors.w!.dtype).toBe('F16');
    // strict (the default): the checkpoint's keys the template lacks are named
    await expect(Checkpoint.load(path, { like: { w } })).rejects.toThrow(/2 key\(s\) of .*cast\.safetensors are not in the template: "n", "extra" .*\{ strict: false \}/);
    const template = { n: nx.zeros([3], 'int32') };
    const back = await Checkpoint.load(path, { like: template, strict: false });
    expect(Object.keys(back)).toEqual(['n']);
    expect(back.n.dtype).toBe('int32');
    expect(nx.toArray(back.n)).toEqual([1, -7, 65504]); // whole numbers cast exactly
    // F16(0.1) = 0.0999... is not an int32: refused, naming the key, the value and where it is
    await expect(Checkpoint.load(path, { like: { w: nx.zeros([3], 'int32') }, strict: false })).rejects.toThrow(/key "w" holds F16 values that the template's int32 cannot hold: 0\.0999755859375 at index 0/);
    const asFloat = await Checkpoint.load(path, { like: { w }, strict: false });
    expect(Array.from(nx.toTypedArray(asFloat.w))).toEqual([0.0999755859375, 2.75, -3]);
    nx.dispose([w, n, extra, template.n, back.n, asFloat.w]);
  });

  it('refuses casts that would change a value: 3e9 and NaN into int32, 2 into bool, 2^24 + 1 into float32', async () => {
    const path = join(dir, 'lossy.safetensors');
    const big = nx.fromArray([1, 3e9]);
    const nan = nx.fromArray([0, Number.NaN]);
    const two = nx.fromArray([0, 1, 2]);
    const wide = nx.fromArray(Int32Array.from([5, 2 ** 24 + 1]));
    await Checkpoint.save(path, { big, nan, two, wide });
    const before = nx.memory().numTensors;
    const load = (like: Record<string, nx.Tensor>) => Checkpoint.load(path, { like, strict: false });
    await expect(load({ big: nx.zeros([2], 'int32') })).rejects.toThrow(/key "big" holds F32 values .*int32 cannot hold: 3000000000 at index 1 \(int32 holds whole numbers/);
    await expect(load({ nan: nx.zeros([2], 'int32') })).rejects.toThrow(/key "nan" .*: NaN at index 1/);
    await expect(load({ two: nx.zeros([3], 'bool') })).rejects.toThrow(/key "two" .*bool cannot hold: 2 at index 2/);
    await expect(load({ wide: nx.zeros([2]) })).rejects.toThrow(/key "wide" holds I32 values .*float32 cannot hold: 16777217 at index 1 \(float32 holds integers exactly up to 2\^24\)/);
    expect(nx.memory().numTensors).toBe(before + 4); // only the four templates
    nx.dispose([big, nan, two, wide]);
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

describe('paths, strictness, Vars and what a checkpoint cannot hold', () => {
  it('a path ending in .safetensors is the file, any other path a folder holding model.safetensors', async () => {
    const t = { w: nx.fromArray([1, 2]) };
    await Checkpoint.save(join(dir, 'paths', 'bn'), t);
    expect(await readdir(join(dir, 'paths', 'bn'))).toEqual(['model.safetensors']);
    await Checkpoint.save(join(dir, 'paths', 'one.safetensors'), t);
    expect((await readdir(join(dir, 'paths'))).sort()).toEqual(['bn', 'one.safetensors']);
    for (const p of ['bn', 'bn/', 'bn/model.safetensors', 'one.safetensors']) {
      const back = await Checkpoint.load(join(dir, 'paths', p), { like: t });
      expect(nx.toArray(back.w)).toEqual([1, 2]);
      nx.dispose(back.w);
    }
    // a folder path that is a file, or a folder under a file: a typed error, not EEXIST
    await writeFile(join(dir, 'paths', 'afile'), 'x');
    await expect(Checkpoint.save(join(dir, 'paths', 'afile'), t)).rejects.toThrow(/afile is a file, but a checkpoint path without the \.safetensors extension names a folder/);
    await expect(Checkpoint.save(join(dir, 'paths', 'afile', 'x.safetensors'), t)).rejects.toThrow(/cannot create the folder .*afile: a part of that path is a file/);
    // a file saved by an earlier version without the extension still loads
    await copyFile(join(dir, 'paths', 'one.safetensors'), join(dir, 'paths', 'legacy'));
    const legacy = await Checkpoint.load(join(dir, 'paths', 'legacy'), { like: t });
    expect(nx.toArray(legacy.w)).toEqual([1, 2]);
    nx.dispose([t, legacy]);
  });

  it('Checkpoint.save(p, Train.vars(state)) saves { params, state } and loads back into a Vars', async () => {
    const model = Layer.sequential([Layer.linear({ inFeatures: 3, outFeatures: 4 }), Layer.batchNorm({ numFeatures: 4 })]);
    const vars = model.init({ key: nx.random.key(1) });
    const trainer = Train.make({ model, optimizer: Optim.sgd({ lr: 0.1 }), loss: Loss.mse });
    const state = Train.makeState(trainer, vars);
    await Checkpoint.save(join(dir, 'vars'), Train.vars(state));
    expect((await Checkpoint.info(join(dir, 'vars'))).tensors).toHaveProperty(['state.1.running_mean']);
    const like = model.init({ key: nx.random.key(2) });
    const back = await Checkpoint.load(join(dir, 'vars'), { like });
    expect(back.dtype).toBe('float32');
    expectSameTree({ params: vars.params, state: vars.state }, { params: back.params, state: back.state });
    // a Train state itself is not a tree: the error says what to do
    await expect(Checkpoint.save(join(dir, 'state'), state as never)).rejects.toThrow(/looks like a Train state: save it with Checkpoint\.saveTraining/);
    await expect(Checkpoint.save(join(dir, 'meta'), { w: nx.ones([1]), step: 3 } as never)).rejects.toThrow(/checkpoint holds tensors only: put numbers and strings in options\.metadata/);
    Ptree.dispose([vars.params, vars.state, like.params, like.state, back.params, back.state, state.optState]);
  });

  it('strict: the checkpoint keys a template lacks are named; strict: false ignores them; option typos are errors', async () => {
    const path = join(dir, 'strict.safetensors');
    const big = { enc: { w: nx.ones([2]) }, head: { w: nx.ones([3]), b: nx.ones([1]) } };
    await Checkpoint.save(path, big);
    const small = { enc: { w: nx.zeros([2]) } };
    const err = await Checkpoint.load(path, { like: small }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointKeyError);
    expect((err as Error).message).toMatch(/2 key\(s\) of .*strict\.safetensors are not in the template: "head\.w", "head\.b" .*\{ strict: false \}/);
    const part = await Checkpoint.load(path, { like: small, strict: false });
    expect(Object.keys(part)).toEqual(['enc']);
    await expect(Checkpoint.load(path, { like: small, strct: false } as never)).rejects.toThrow(/unknown option "strct"; did you mean "strict"\?/);
    await expect(Checkpoint.save(path, big, { maxShardsize: 10 } as never)).rejects.toThrow(nx.OptionError);
    // metadata the writer fills in itself is reserved, and not shown back
    await expect(Checkpoint.save(path, big, { metadata: { 'raven.save_id': 'x' } })).rejects.toThrow(/reserved/);
    expect(Object.keys((await Checkpoint.info(path)).metadata)).toEqual([]);
    Ptree.dispose([big, small, part]);
  });

  it('saveTraining extras keep NaN, Infinity and -0 exactly', async () => {
    const params = { w: nx.ones([2]) };
    const path = join(dir, 'extras');
    const extras = { best: Number.NaN, worst: Number.POSITIVE_INFINITY, low: Number.NEGATIVE_INFINITY, zero: -0, list: [1, Number.NaN], nested: { x: 2.5 } };
    await Checkpoint.saveTrees(path, { params }, { extras });
    const back = await Checkpoint.loadTrees(path, { like: { params } });
    expect(back.extras['best']).toBeNaN();
    expect(back.extras['worst']).toBe(Number.POSITIVE_INFINITY);
    expect(back.extras['low']).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(back.extras['zero'], -0)).toBe(true);
    expect((back.extras['list'] as number[])[1]).toBeNaN();
    expect(back.extras['nested']).toEqual({ x: 2.5 });
    await expect(Checkpoint.saveTrees(path, { params }, { extras: { big: 1n } as never })).rejects.toThrow(/extras must be JSON-serialisable/);
    Ptree.dispose([params, back.trees.params]);
  });

  it('a checksum failure names the tensor; verify: false reads the file anyway', async () => {
    const path = join(dir, 'flip.safetensors');
    const t = { a: nx.ones([4]), b: nx.fromArray([1, 2, 3, 4]) };
    await Checkpoint.save(path, t);
    const bytes = await readFile(path);
    bytes[bytes.length - 2]! ^= 0x10;
    await writeFile(path, bytes);
    await expect(Checkpoint.load(path, { like: t })).rejects.toThrow(nx.ChecksumError);
    await expect(Checkpoint.load(path, { like: t })).rejects.toThrow(/tensor "b" \(F32 \[4\]\) fails its checksum/);
    const unchecked = await Checkpoint.load(path, { like: t, verify: false });
    expect(nx.toArray(unchecked.a)).toEqual([1, 1, 1, 1]);
    Ptree.dispose([t, unchecked]);
  });
});
