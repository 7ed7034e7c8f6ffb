import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nx from '@raven/nx';
import { Checkpoint, CheckpointError, Ptree } from '@raven/kaun';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'kaun-shard-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

// Seven leaves of 40..400 bytes (float32) plus an int32 and a bool leaf.
function makeTree() {
  const f = (n: number, s: number) => nx.fromArray(Float32Array.from({ length: n }, (_, i) => s + i / 8));
  return {
    a: f(10, 0), b: f(100, 1), c: f(25, 2), d: f(60, 3),
    e: [f(10, 4), f(40, 5)], g: { h: f(5, 6), i: nx.fromArray(Int32Array.from([1, -2, 3])), j: nx.fromArray([true, false, true]) },
  };
}
const readJson = async (p: string) => JSON.parse(await readFile(p, 'utf8')) as { metadata: Record<string, unknown>; weight_map: Record<string, string> };
const files = async (d: string) => (await readdir(d)).sort();

// The documented rule, written out independently: greedy in key order, a new shard when the
// next tensor would overflow a non-empty shard, a tensor over the limit alone in its shard.
function expectedShards(sizes: Array<[string, number]>, limit: number): string[][] {
  const shards: string[][] = [];
  let cur: string[] = [];
  let used = 0;
  for (const [k, s] of sizes) {
    if (cur.length > 0 && (used + s > limit || used > limit)) { shards.push(cur); cur = []; used = 0; }
    cur.push(k);
    used += s;
  }
  if (cur.length > 0) shards.push(cur);
  return shards;
}

describe('sharded save and load', () => {
  it.each([1, 100, 240, 400, 420, '0.5KB', '1KiB', 1e9])('round-trips with maxShardSize %s', async (limit) => {
    const tree = makeTree();
    const sizes = Ptree.flattenWithPaths(tree).map(([k, t]) => [k, t.size * 4 / (t.dtype === 'bool' ? 4 : 1)] as [string, number]);
    const bytes = typeof limit === 'number' ? limit : limit === '0.5KB' ? 500 : 1024;
    const want = expectedShards(sizes, bytes);
    const out = join(dir, `s-${String(limit)}`);
    await Checkpoint.save(join(out, 'model.safetensors'), tree, { maxShardSize: limit });
    if (want.length === 1) {
      expect(await files(out)).toEqual(['model.safetensors']);
    } else {
      const n = String(want.length).padStart(5, '0');
      const names = want.map((_, i) => `model-${String(i + 1).padStart(5, '0')}-of-${n}.safetensors`);
      expect(await files(out)).toEqual([...names, 'model.safetensors.index.json'].sort());
      const index = await readJson(join(out, 'model.safetensors.index.json'));
      expect(index.metadata.total_size).toBe(sizes.reduce((s, [, b]) => s + b, 0));
      want.forEach((keys, i) => keys.forEach((k) => expect(index.weight_map[k]).toBe(names[i])));
      for (let i = 0; i < names.length; i++) {
        const h = await nx.io.readSafetensorsHeader(join(out, names[i]!));
        expect(h.names).toEqual(want[i]);
      }
    }
    for (const p of [out, join(out, 'model.safetensors'), join(out, 'model.safetensors.index.json')]) {
      if (p.endsWith('.json') && want.length === 1) continue;
      const back = await Checkpoint.load(p, { like: tree });
      expect(Ptree.flattenWithPaths(back).map(([k, t]) => [k, Array.from(nx.toTypedArray(t))]))
        .toEqual(Ptree.flattenWithPaths(tree).map(([k, t]) => [k, Array.from(nx.toTypedArray(t))]));
      Ptree.dispose(back);
    }
    Ptree.dispose(tree);
  }, 30_000);

  it('parses sizes in decimal and binary units', () => {
    expect(Checkpoint.parseSize('5GB')).toBe(5e9);
    expect(Checkpoint.parseSize('500MB')).toBe(5e8);
    expect(Checkpoint.parseSize('1.5 kb')).toBe(1500);
    expect(Checkpoint.parseSize('2GiB')).toBe(2 * 2 ** 30);
    expect(Checkpoint.parseSize('512MiB')).toBe(512 * 2 ** 20);
    expect(Checkpoint.parseSize(5e9)).toBe(5e9);
    for (const bad of ['5 XB', '', 'GB', '-1MB', 0, -5, NaN]) expect(() => Checkpoint.parseSize(bad as string)).toThrow(CheckpointError);
  });

  it('removes stale shards of the same name only after the new set and index are complete', async () => {
    const out = join(dir, 'stale');
    const tree = makeTree();
    await Checkpoint.save(join(out, 'model.safetensors'), tree, { maxShardSize: 100 });
    const first = await files(out);
    expect(first.filter((f) => f.includes('-of-')).length).toBeGreaterThan(3);
    await writeFile(join(out, 'other-00001-of-00002.safetensors'), 'not ours'); // another prefix: kept
    await writeFile(join(out, 'model-notes.txt'), 'kept');
    await Checkpoint.save(join(out, 'model.safetensors'), tree, { maxShardSize: 1000 }); // 1015 bytes: 2 shards
    const second = await files(out);
    expect(second.filter((f) => f.startsWith('model-0'))).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    expect(second).toContain('other-00001-of-00002.safetensors');
    expect(second).toContain('model-notes.txt');
    expect(second.filter((f) => f.startsWith('.'))).toEqual([]);
    // a later unsharded save removes the index and the shards; a sharded one removes the single file
    await Checkpoint.save(join(out, 'model.safetensors'), tree);
    expect((await files(out)).filter((f) => f.startsWith('model'))).toEqual(['model-notes.txt', 'model.safetensors']);
    await Checkpoint.save(out, tree, { maxShardSize: 1000 });
    expect((await files(out)).filter((f) => f.startsWith('model'))).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model-notes.txt', 'model.safetensors.index.json']);
    Ptree.dispose(tree);
  });

  it('a save that fails midway leaves the previous checkpoint readable and no partial files', async () => {
    const out = join(dir, 'atomic');
    const tree = makeTree();
    await Checkpoint.save(join(out, 'model.safetensors'), tree, { maxShardSize: 200 });
    const before = await files(out);
    const snapshot = await Promise.all(before.map((f) => readFile(join(out, f))));
    // the last leaf is disposed: the failure comes after earlier shards were written
    const broken = { ...tree, z: nx.ones([3]) };
    nx.dispose(broken.z);
    await expect(Checkpoint.save(join(out, 'model.safetensors'), broken, { maxShardSize: 200 })).rejects.toThrow(/disposed/);
    expect(await files(out)).toEqual(before);
    for (let i = 0; i < before.length; i++) expect((await readFile(join(out, before[i]!))).equals(snapshot[i]!)).toBe(true);
    // a value that cannot be stored, in the single-file path
    await Checkpoint.save(join(out, 'one.safetensors'), tree);
    const oneBefore = await readFile(join(out, 'one.safetensors'));
    const huge = { ...tree, big: nx.fromArray([1e6]) };
    await expect(Checkpoint.save(join(out, 'one.safetensors'), huge, { dtype: 'I8' })).rejects.toThrow(/tensor "a": .*cannot be stored as I8/);
    expect((await readFile(join(out, 'one.safetensors'))).equals(oneBefore)).toBe(true);
    expect((await files(out)).filter((f) => f.startsWith('.'))).toEqual([]);
    const back = await Checkpoint.load(out, { like: tree });
    Ptree.dispose([back, tree, huge.big]);
  });

  describe('index problems', () => {
    async function sharded(name: string) {
      const out = join(dir, name);
      const tree = makeTree();
      await Checkpoint.save(`${out}/`, tree, { maxShardSize: 200 }); // a trailing slash names a folder
      const index = await readJson(join(out, 'model.safetensors.index.json'));
      const shards = [...new Set(Object.values(index.weight_map))];
      return { out, tree, index, shards, indexPath: join(out, 'model.safetensors.index.json') };
    }

    it('refuses weight_map entries that leave the folder', async () => {
      const { out, tree, index, shards, indexPath } = await sharded('traversal');
      await mkdir(join(dir, 'outside'), { recursive: true });
      await copyFile(join(out, shards[0]!), join(dir, 'outside', 'evil.safetensors'));
      for (const bad of ['../outside/evil.safetensors', join(dir, 'outside', 'evil.safetensors'), '..\\outside\\evil.safetensors', 'sub/../../outside/evil.safetensors', 'C:evil.safetensors', `./${shards[0]}`, '']) {
        await writeFile(indexPath, JSON.stringify({ ...index, weight_map: { ...index.weight_map, a: bad } }));
        await expect(Checkpoint.load(out, { like: tree }), bad).rejects.toThrow(/refused/);
      }
      Ptree.dispose(tree);
    });

    it('reports a missing shard, a key the shard lacks, a key the index lacks, and a bad index', async () => {
      const { out, tree, index, indexPath } = await sharded('missing');
      const before = nx.memory().numTensors;
      await writeFile(indexPath, JSON.stringify({ ...index, weight_map: { ...index.weight_map, b: 'model-00009-of-00009.safetensors' } }));
      await expect(Checkpoint.load(out, { like: tree })).rejects.toThrow(/shard .*model-00009-of-00009.safetensors named by index .* "b".* does not exist/);
      await writeFile(indexPath, JSON.stringify({ ...index, weight_map: { ...index.weight_map, b: index.weight_map.a } }));
      await expect(Checkpoint.load(out, { like: tree })).rejects.toThrow(/maps key "b" to shard .*, which has no such tensor/);
      const { c: _dropped, ...rest } = index.weight_map;
      await writeFile(indexPath, JSON.stringify({ ...index, weight_map: rest }));
      await expect(Checkpoint.load(out, { like: tree })).rejects.toThrow(/"c" \(expected shape \[25\]\)/);
      await writeFile(indexPath, '{"weight_map": ');
      await expect(Checkpoint.load(out, { like: tree })).rejects.toThrow(/not valid JSON/);
      await writeFile(indexPath, '{"weight_map": {"a": 3}}');
      await expect(Checkpoint.load(out, { like: tree })).rejects.toThrow(CheckpointError);
      expect(nx.memory().numTensors).toBe(before);
      Ptree.dispose(tree);
    });

    it('detects shards from a different save (a torn replacement)', async () => {
      const { out, tree, shards } = await sharded('torn');
      const keep = await readFile(join(out, shards[1]!));
      const other = Ptree.map(tree, (t) => nx.add(t, t.dtype === 'bool' ? false : 1));
      await Checkpoint.save(out, other, { maxShardSize: 200 }); // other values: new shard names
      Ptree.dispose(other);
      const now = [...new Set(Object.values((await readJson(join(out, 'model.safetensors.index.json'))).weight_map))];
      expect(now).not.toEqual(shards);
      await writeFile(join(out, now[1]!), keep); // a shard of the earlier save under a name of the new one
      await expect(Checkpoint.load(out, { like: tree })).rejects.toThrow(/is not from the save that wrote index .*still so after 12 attempts/);
      Ptree.dispose(tree);
    });
  });
});
