/**
 * Checkpoint benchmark: save and load throughput (MB/s) of a ~200 MB float32 tree, as one file
 * and sharded at 50 MB, and the process memory while loading (rss and arrayBuffers sampled every
 * 5 ms; on the wasm backend the tensors live in the wasm heap, which is an ArrayBuffer).
 *
 * `checksumCost` is the price of the per-tensor CRC-32 (issue 13): the single file saved with
 * checksums (the default) and with `checksums: false`, and loaded with verification (the default)
 * and with `verify: false`, best of 3 runs each.
 *
 * Run alone: `npx tsx --conditions=source packages/kaun/bench/checkpoint.ts [--mb N]` (prints JSON), or
 * call {@link benchCheckpoint} from `bench/run.ts`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as nx from '@raven/nx';
import { Checkpoint, Ptree } from '@raven/kaun';

const MB = 1e6;

/** Options of {@link benchCheckpoint}. */
export interface BenchCheckpointOptions {
  /** Total size of the tree in bytes. Default 200e6. */
  totalBytes?: number;
  /** Size of each leaf in bytes. Default 4e6 (1M float32). */
  leafBytes?: number;
  /** Shard size of the sharded run. Default '50MB'. */
  maxShardSize?: string;
}

function sampleMemory(): { stop: () => { peakRss: number; peakArrayBuffers: number } } {
  let peakRss = 0;
  let peakArrayBuffers = 0;
  const take = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakArrayBuffers = Math.max(peakArrayBuffers, m.arrayBuffers);
  };
  take();
  const timer = setInterval(take, 5);
  return { stop: () => { clearInterval(timer); take(); return { peakRss, peakArrayBuffers }; } };
}

const round = (x: number) => Math.round(x * 10) / 10;

/**
 * Runs the benchmark and returns its figures (MB = 10^6 bytes).
 * @returns `{ backend, treeMB, leaves, runs: [{ layout, load: 'cold' | 'warm', files, saveS,
 *   loadS, saveMBps, loadMBps, memory: { baselineRssMB, peakRssMB, peakRssOverBaselineMB,
 *   peakArrayBuffersOverBaselineMB } }] }`. Memory over baseline includes the loaded tree
 *   itself (`treeMB`) when the heap has to grow (cold); the rest is the loader's overhead.
 */
export async function benchCheckpoint(options: BenchCheckpointOptions = {}): Promise<object> {
  const totalBytes = options.totalBytes ?? 200e6;
  const leafBytes = options.leafBytes ?? 4e6;
  const maxShardSize = options.maxShardSize ?? '50MB';
  const n = Math.max(1, Math.round(totalBytes / leafBytes));
  const per = Math.floor(leafBytes / 4);
  const layers = Array.from({ length: n }, (_, i) => ({ weight: nx.scope(() => nx.add(nx.zeros([per]), i / n)) }));
  const tree = { layers };
  const treeBytes = n * per * 4;
  const template = { layers: layers.map(() => ({ weight: nx.zeros([per]) })) };
  const dir = await mkdtemp(join(tmpdir(), 'kaun-bench-ckpt-'));
  const runs: object[] = [];
  const saves: Record<string, { saveS: number; files: number }> = {};
  let checksumCost: object = {};
  try {
    for (const layout of ['single', 'sharded'] as const) {
      const t0 = performance.now();
      await Checkpoint.save(join(dir, layout, 'model.safetensors'), tree, layout === 'sharded' ? { maxShardSize } : {});
      const saveS = (performance.now() - t0) / 1000;
      saves[layout] = { saveS, files: (await Checkpoint.info(join(dir, layout))).files.length };
    }
    // The first load in a process also grows the wasm heap to hold the result ('cold'); later
    // loads reuse the freed heap ('warm').
    for (const [layout, phase] of [['single', 'cold'], ['single', 'warm'], ['sharded', 'warm']] as const) {
      if (global.gc) global.gc();
      const base = process.memoryUsage();
      const sampler = sampleMemory();
      const t1 = performance.now();
      const loaded = await Checkpoint.load(join(dir, layout), { like: template });
      const loadS = (performance.now() - t1) / 1000;
      const peak = sampler.stop();
      Ptree.dispose(loaded);
      const { saveS, files } = saves[layout]!;
      runs.push({
        layout,
        load: phase,
        files,
        saveS: Math.round(saveS * 100) / 100,
        loadS: Math.round(loadS * 100) / 100,
        saveMBps: round(treeBytes / MB / saveS),
        loadMBps: round(treeBytes / MB / loadS),
        memory: {
          baselineRssMB: round(base.rss / MB),
          peakRssMB: round(peak.peakRss / MB),
          peakRssOverBaselineMB: round((peak.peakRss - base.rss) / MB),
          peakArrayBuffersOverBaselineMB: round((peak.peakArrayBuffers - base.arrayBuffers) / MB),
        },
      });
    }
    checksumCost = await benchChecksumCost(join(dir, 'crc'), tree, template, treeBytes);
  } finally {
    Ptree.dispose([tree, template]);
    await rm(dir, { recursive: true, force: true });
  }
  return {
    what: 'Checkpoint save/load of a float32 tree (MB = 1e6 bytes); memory sampled every 5 ms during load',
    backend: nx.backendInfo().backend,
    treeMB: round(treeBytes / MB),
    leaves: n,
    leafMB: round((per * 4) / MB),
    runs,
    checksumCost,
  };
}

/** Best of `reps` timings of `f`, in seconds. */
async function best(reps: number, f: () => Promise<void>): Promise<number> {
  let s = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    s = Math.min(s, (performance.now() - t0) / 1000);
  }
  return s;
}

/**
 * Save and load throughput of one single-file checkpoint with and without checksums (best of 3).
 * @returns `{ saveMBps: { checksums, noChecksums }, loadMBps: { verify, noVerify }, saveCostPercent, loadCostPercent }`.
 */
export async function benchChecksumCost(folder: string, tree: Ptree.Tree, template: Ptree.Tree, treeBytes: number): Promise<object> {
  const path = join(folder, 'model.safetensors');
  const saveWith = await best(3, () => Checkpoint.save(path, tree));
  const loadWith = await best(3, async () => { Ptree.dispose(await Checkpoint.load(path, { like: template })); });
  const saveWithout = await best(3, () => Checkpoint.save(path, tree, { checksums: false }));
  await Checkpoint.save(path, tree); // with checksums again, so that verify: false has something to skip
  const loadWithout = await best(3, async () => { Ptree.dispose(await Checkpoint.load(path, { like: template, verify: false })); });
  const mbps = (s: number) => round(treeBytes / MB / s);
  return {
    saveMBps: { checksums: mbps(saveWith), noChecksums: mbps(saveWithout) },
    loadMBps: { verify: mbps(loadWith), noVerify: mbps(loadWithout) },
    saveCostPercent: round((100 * (saveWith - saveWithout)) / saveWithout),
    loadCostPercent: round((100 * (loadWith - loadWithout)) / loadWithout),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const mb = process.argv.indexOf('--mb');
  console.log(JSON.stringify(await benchCheckpoint(mb >= 0 ? { totalBytes: Number(process.argv[mb + 1]) * MB } : {}), null, 2));
}
