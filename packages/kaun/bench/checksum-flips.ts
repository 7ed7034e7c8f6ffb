/**
 * Corruption probe (issue 13): a checkpoint saved with checksums (the default), then `flips`
 * times one random byte of its data region XOR-ed with a random non-zero mask, and loaded with
 * a strict template. Counts the loads that failed with a `ChecksumError` naming the tensor that
 * holds the byte (`detected`), that failed otherwise, and that returned values silently.
 *
 * Run: `npx tsx --conditions=source packages/kaun/bench/checksum-flips.ts [flips] [seed]` (prints JSON).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as nx from '@raven/nx';
import { Checkpoint, Ptree } from '@raven/kaun';

/** What {@link flipProbe} saw. */
export interface FlipResult {
  /** Corrupted files loaded. */
  flips: number;
  /** Loads that failed with a ChecksumError naming the right tensor. */
  detected: number;
  /** Loads that failed with another error (or a ChecksumError naming another tensor). */
  otherErrors: number;
  /** Loads that returned tensors: the corruption went unseen. */
  silent: number;
  /** Size of the data region in bytes. */
  dataBytes: number;
  /** Tensors (and dtypes) in the file. */
  tensors: string[];
}

/** A small deterministic generator (mulberry32), so that a run can be repeated with its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Flips `flips` random data bytes of a checksummed checkpoint, one at a time, and loads each. */
export async function flipProbe(flips = 1000, seed = 13): Promise<FlipResult> {
  const dir = await mkdtemp(join(tmpdir(), 'kaun-flips-'));
  const tree = {
    embed: nx.fromArray(Float32Array.from({ length: 4096 }, (_, i) => Math.sin(i))),
    ids: nx.fromArray(Int32Array.from({ length: 1024 }, (_, i) => i * 7 - 500)),
    dense: { kernel: nx.fromArray(Float32Array.from({ length: 2048 }, (_, i) => i / 3), { shape: [64, 32] }), bias: nx.fromArray(Float32Array.from({ length: 32 }, (_, i) => -i)) },
  };
  const template = Ptree.map(tree, (t) => nx.zerosLike(t));
  const path = join(dir, 'model.safetensors');
  const bad = join(dir, 'bad', 'model.safetensors');
  try {
    await Checkpoint.save(path, tree);
    const good = new Uint8Array(await readFile(path));
    const header = await nx.io.readSafetensorsHeader(path);
    const dataBytes = good.byteLength - header.dataStart;
    const owner = (pos: number) => header.names.find((n) => pos >= header.tensors[n]!.dataOffsets[0] && pos < header.tensors[n]!.dataOffsets[1]);
    const random = rng(seed);
    const result: FlipResult = { flips: 0, detected: 0, otherErrors: 0, silent: 0, dataBytes, tensors: header.names.map((n) => `${n} ${header.tensors[n]!.dtype}`) };
    await Checkpoint.save(bad, tree); // makes the folder
    for (let i = 0; i < flips; i++) {
      const pos = Math.floor(random() * dataBytes);
      const mask = 1 + Math.floor(random() * 255);
      const bytes = good.slice();
      bytes[header.dataStart + pos]! ^= mask;
      await writeFile(bad, bytes);
      result.flips++;
      try {
        Ptree.dispose(await Checkpoint.load(bad, { like: template }));
        result.silent++;
      } catch (err) {
        if (err instanceof nx.ChecksumError && err.tensor === owner(pos)) result.detected++;
        else result.otherErrors++;
      }
    }
    return result;
  } finally {
    Ptree.dispose([tree, template]);
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await flipProbe(Number(process.argv[2] ?? 1000), Number(process.argv[3] ?? 13));
  console.log(JSON.stringify({ what: 'random byte flips in the data region of a checksummed checkpoint, each loaded with a strict template', backend: nx.backendInfo().backend, ...r }, null, 2));
}
