/**
 * Crash safety of Checkpoint.save, by real kills: a child process saving a checkpoint kills
 * itself (SIGKILL) at each disk step in turn (create, write, fsync, rename, link, unlink), and the
 * folder it leaves must load as the old checkpoint or the new one, bit for bit, in kaun and in
 * transformers; the next save must leave no temporary or stale file behind. The full sweep of
 * every scenario (new or replacing; 1, 2 or 4 shards) is `npx tsx --conditions=source
 * packages/kaun/bench/crash-sweep.ts`; this suite sweeps the layout changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nx from '@raven/nx';
import { Checkpoint, Ptree } from '@raven/kaun';
import { classify, cleanFiles, concurrentLoads, dropChild, listing, loadOutcome, sweep, type Scenario } from './crash-harness.js';
import { shardLimit, versionTree } from './crash-setup.js';
import { pythonWith, runPython } from './python.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'kaun-crash-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); await dropChild(); });

const py = pythonWith(['transformers', 'safetensors', 'torch']);
const resolver = fileURLToPath(new URL('./transformers_resolve.py', import.meta.url));

// 4 -> 4 at every kill point (the replacement that used to destroy the old checkpoint); the layout
// changes at the first point and the last 12 (from the index write on: where a single file and an
// index meet); a fresh sharded save at every third point and the last 8. The sweep script
// (bench/crash-sweep.ts) covers every point of every scenario.
const SCENARIOS: Array<Scenario & { points: 'every' | 'commit' | 'sample' }> = [
  { from: 4, to: 4, points: 'every' }, { from: 1, to: 4, points: 'commit' }, { from: 4, to: 1, points: 'commit' }, { from: 0, to: 4, points: 'sample' },
];
const ONLY = {
  every: undefined,
  commit: (k: number, n: number) => k === 1 || k > n - 12,
  sample: (k: number, n: number) => k % 3 === 0 || k > n - 8,
};

describe('a save killed at any step leaves the old or the new checkpoint', () => {
  it.each(SCENARIOS)('replacing $from shard(s) with $to: $points kill point', async (s) => {
    const { points, results } = await sweep(dir, s, { parallel: 2, only: ONLY[s.points] });
    expect(points.length).toBeGreaterThanOrEqual(5);
    const before = s.from > 0 ? 'old' : 'none'; // a fresh save killed early leaves no checkpoint at all
    for (const r of results) {
      expect(r.killed, `k=${r.k} (${r.label})`).toBe(true);
      expect([before, 'new'], `k=${r.k} (${r.label}): ${r.outcome}`).toContain(r.outcome);
    }
    // the kills straddle the commit: early ones leave the old checkpoint, late ones the new
    expect(results[0]!.outcome).toBe(before);
    expect(results[results.length - 1]!.outcome).toBe('new');

    if (py.ok) {
      // transformers resolves each folder to the same version (its weight_map is what counts)
      const loadable = results.filter((r) => r.outcome !== 'none');
      const seen = JSON.parse(runPython(py.python, resolver, JSON.stringify(loadable.map((r) => r.folder)))) as Record<string, { keys?: Record<string, number[]>; error?: string }>;
      for (const r of loadable) {
        const t = seen[r.folder]!;
        expect(t.error, `k=${r.k} (${r.label})`).toBeUndefined();
        expect(classify(t.keys!, 1, 2), `transformers at k=${r.k} (${r.label})`).toBe(r.outcome);
      }
    }

    // the next save (by another, live process) removes every leftover of the killed one
    const v3 = versionTree(3);
    for (const r of results) {
      await Checkpoint.save(r.folder, v3, { maxShardSize: shardLimit(s.to) });
      const files = await listing(r.folder);
      expect(cleanFiles(files, s.to), `k=${r.k} (${r.label}): ${files.join(' ')}`).toBe(true);
    }
    Ptree.dispose(v3);
    expect(await loadOutcome(results[0]!.folder, undefined, 3)).toBe('new');
  }, 600_000);

  if (!py.ok) it.skip(`transformers cross-check (${py.reason})`, () => undefined);
});

describe('saves into a new folder keep Hugging Face names', () => {
  it('a fresh sharded save writes model-0000i-of-0000n; replacing uses names unique to the save, then the usual ones again', async () => {
    const out = join(dir, 'names');
    const [t5, t6, t7] = [versionTree(5), versionTree(6), versionTree(7)];
    await Checkpoint.save(out, t5, { maxShardSize: shardLimit(4) });
    const hf = ['model-00001-of-00004.safetensors', 'model-00002-of-00004.safetensors', 'model-00003-of-00004.safetensors', 'model-00004-of-00004.safetensors'];
    expect(await listing(out)).toEqual([...hf, 'model.safetensors.index.json']);
    await Checkpoint.save(out, t6, { maxShardSize: shardLimit(4) });
    const second = await listing(out);
    expect(second.filter((f) => f !== 'model.safetensors.index.json').every((f) => /^model\.[0-9a-f]{16}-0000[1-4]-of-00004\.safetensors$/.test(f))).toBe(true);
    await Checkpoint.save(out, t7, { maxShardSize: shardLimit(4) });
    expect(await listing(out)).toEqual([...hf, 'model.safetensors.index.json']);
    const like = versionTree(0);
    const back = await Checkpoint.load(out, { like });
    expect(nx.toArray(back['layer3']!)).toEqual(nx.toArray(t7['layer3']!));
    Ptree.dispose([t5, t6, t7, like, back]);
  });

  it('saving the same tree again leaves the same bytes (shards identical to the files there are kept)', async () => {
    const out = join(dir, 'same');
    const t = versionTree(8);
    const bytes = async () => Promise.all((await listing(out)).map(async (f) => [f, (await readFile(join(out, f))).toString('hex')]));
    await Checkpoint.save(out, t, { maxShardSize: shardLimit(4), metadata: { format: 'pt' } });
    const first = await bytes();
    await Checkpoint.save(out, t, { maxShardSize: shardLimit(4), metadata: { format: 'pt' } });
    expect(await bytes()).toEqual(first);
    await Checkpoint.save(join(dir, 'same-single'), t);
    const single = await readFile(join(dir, 'same-single', 'model.safetensors'));
    await Checkpoint.save(join(dir, 'same-single'), t);
    expect(await readFile(join(dir, 'same-single', 'model.safetensors'))).toEqual(single);
    Ptree.dispose(t);
  });
});

describe('loads while two other processes keep saving', () => {
  it('300 loads against 2 writers: none mixes saves or breaks the template', async () => {
    const r = await concurrentLoads(dir, 300);
    expect(r.errors).toEqual([]);
    expect(r.loads).toBeGreaterThanOrEqual(300);
    expect(r.mixed).toBe(0);
    expect(r.templateViolations).toBe(0);
    expect(r.failed).toBe(0);
    // the writers really were replacing the checkpoint meanwhile
    expect(r.saves.every((n) => n >= 3), `saves ${r.saves.join(', ')}`).toBe(true);
    expect(r.versionsSeen).toBeGreaterThan(3);
  }, 300_000);
});
