/**
 * Checksums, consistent reads and temporaries of killed writers in nx.io.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nx from '@raven/nx';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'nx-integrity-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

/** Rebuilds a file with an edited header (re-padded, new length prefix), keeping the data bytes. */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>) => void): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + padded + bytes.byteLength - 8 - n).fill(0x20, 8 + json.byteLength, 8 + padded);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + padded);
  return out;
}

function sample() {
  return {
    a: nx.fromArray(Float32Array.from({ length: 300 }, (_, i) => Math.sin(i))),
    b: nx.fromArray(Int32Array.from({ length: 200 }, (_, i) => i * 7 - 500)),
    c: nx.fromArray(Float32Array.from({ length: 256 }, (_, i) => i / 3), { shape: [16, 16] }),
  };
}

describe('checksums', () => {
  it('1,000 random byte flips in the data region are all detected, naming the tensor that holds the byte', async () => {
    const tensors = sample();
    const path = join(dir, 'flips.safetensors');
    await nx.io.saveSafetensors(path, tensors, { dtypes: { c: 'BF16' } });
    const good = new Uint8Array(await readFile(path));
    const header = await nx.io.readSafetensorsHeader(path);
    const dataBytes = good.byteLength - header.dataStart;
    const owner = (pos: number) => header.names.find((n) => pos >= header.tensors[n]!.dataOffsets[0] && pos < header.tensors[n]!.dataOffsets[1])!;
    const flipped = join(dir, 'flipped.safetensors');
    let detected = 0;
    let runs = 0;
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: dataBytes - 1 }), fc.integer({ min: 1, max: 255 }), async (pos, mask) => {
      runs++;
      const bad = good.slice();
      bad[header.dataStart + pos]! ^= mask;
      await writeFile(flipped, bad);
      const err = await nx.io.loadSafetensors(flipped).then((r) => { nx.dispose(r.tensors.map(([, t]) => t)); return undefined; }, (e: unknown) => e);
      expect(err).toBeInstanceOf(nx.ChecksumError);
      expect((err as nx.ChecksumError).tensor).toBe(owner(pos));
      expect((err as Error).message).toMatch(new RegExp(`tensor "${owner(pos)}" .*fails its checksum`));
      detected++;
    }), { numRuns: 1000 });
    expect(detected).toBe(1000);
    expect(runs).toBe(1000);
    nx.dispose(tensors);
  }, 120_000);

  it('a header edited to another dtype (BF16 -> F16) or with offsets swapped is detected; verify: false reads it anyway', async () => {
    const x = nx.fromArray([1.5, -2, 3.25, 100]);
    const y = nx.fromArray([7, 8, 9, 10]);
    const good = nx.io.serializeSafetensors({ x, y }, { dtypes: { x: 'BF16', y: 'BF16' } });
    const retyped = withHeader(good, (h) => { h['x']!.dtype = 'F16'; });
    expect(() => nx.io.parseSafetensors(retyped)).toThrow(/tensor "x" \(F16 \[4\]\) fails its checksum/);
    const swapped = withHeader(good, (h) => { const t = h['x']!.data_offsets; h['x']!.data_offsets = h['y']!.data_offsets; h['y']!.data_offsets = t; });
    expect(() => nx.io.parseSafetensors(swapped)).toThrow(nx.ChecksumError);
    const unchecked = nx.io.parseSafetensors(swapped, { verify: false });
    expect(nx.toArray(unchecked.tensors.find(([n]) => n === 'x')![1])).toEqual([7, 8, 9, 10]); // what the edit says, unverified
    // a tensor added to a checksummed file has no checksum: refused too
    const path = join(dir, 'edited.safetensors');
    await writeFile(path, withHeader(good, (h) => { h['z'] = { dtype: 'U8', shape: [0], data_offsets: [16, 16] }; }));
    await expect(nx.io.loadSafetensors(path)).rejects.toThrow(/tensor "z" has no checksum/);
    nx.dispose([x, y, unchecked.tensors.map(([, t]) => t)]);
  });

  it('files without checksums (other tools, checksums: false) load as before; the checksums are not shown as metadata', async () => {
    const t = sample();
    const plain = nx.io.serializeSafetensors(t, { checksums: false, metadata: { format: 'pt' } });
    expect(nx.io.parseSafetensorsHeader(plain).metadata).toEqual({ format: 'pt' });
    const flipped = plain.slice();
    flipped[flipped.byteLength - 1]! ^= 1;
    const r = nx.io.parseSafetensors(flipped); // no checksum: nothing to detect, as any safetensors reader
    expect(r.metadata).toEqual({ format: 'pt' });
    const checked = nx.io.serializeSafetensors(t, { metadata: { format: 'pt' } });
    expect(Object.keys(nx.io.parseSafetensorsHeader(checked).metadata).sort()).toEqual(['format', nx.io.CHECKSUM_KEY].sort());
    expect({ ...nx.io.parseSafetensors(checked).metadata }).toEqual({ format: 'pt' });
    expect(() => nx.io.serializeSafetensors(t, { metadata: { [nx.io.CHECKSUM_KEY]: '{}' } })).toThrow(/reserved/);
    nx.dispose([t, r.tensors.map(([, x]) => x)]);
  });
});

describe('header fingerprints', () => {
  it('equal for the same tensors, different when any value, dtype or metadata differs', () => {
    const a = nx.fromArray([1, 2, 3]);
    const b = nx.fromArray([1, 2, 4]);
    const fp = (bytes: Uint8Array) => nx.io.parseSafetensorsHeader(bytes).fingerprint;
    const base = fp(nx.io.serializeSafetensors({ a }));
    expect(base).toMatch(/^[0-9a-f]{8}$/);
    expect(fp(nx.io.serializeSafetensors({ a }))).toBe(base);
    expect(fp(nx.io.serializeSafetensors({ a: b }))).not.toBe(base); // the checksum differs
    expect(fp(nx.io.serializeSafetensors({ a }, { dtype: 'F16' }))).not.toBe(base);
    expect(fp(nx.io.serializeSafetensors({ a }, { metadata: { x: '1' } }))).not.toBe(base);
    nx.dispose([a, b]);
  });
});

describe('openSafetensors', () => {
  it('reads from the file it opened even after the path is replaced or removed', async () => {
    const path = join(dir, 'held.safetensors');
    const v1 = nx.fromArray([1, 2, 3]);
    const v2 = nx.fromArray([4, 5, 6]);
    await nx.io.saveSafetensors(path, { v: v1 });
    const f = await nx.io.openSafetensors(path);
    await nx.io.saveSafetensors(path, { v: v2 }); // renamed over the path
    const { tensors } = await f.read();
    expect(nx.toArray(tensors[0]![1])).toEqual([1, 2, 3]);
    await rename(path, `${path}.moved`);
    const again = await f.read({ names: ['v'] });
    expect(nx.toArray(again.tensors[0]![1])).toEqual([1, 2, 3]);
    await f.close();
    await expect(f.read()).rejects.toThrow();
    nx.dispose([v1, v2, tensors, again.tensors.map(([, t]) => t)]);
  });
});

describe('temporaries of killed writers', () => {
  const host = () => nx.io.writerTag().split('-')[2]!;
  /** The pid of a process that has exited. */
  const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

  it('the next save removes temporaries of dead writers only: not of live ones, other hosts, or a reused pid of a live process', async () => {
    const d = join(dir, 'temps');
    await mkdir(d, { recursive: true });
    const own = nx.io.writerTag();
    const [, ownStart] = own.split('-');
    const dead = `w${deadPid()}-${ownStart}-${host()}`;
    const reused = `w${process.pid}-1-${host()}`; // our pid, another start time: the writer that had it is gone
    const otherHost = `w${deadPid()}-1-00000000`;
    const names = {
      dead: `.model.safetensors.${dead}.0a0b0c0d.tmp`,
      reused: `.model.safetensors.${reused}.0a0b0c0e.tmp`,
      live: `.model.safetensors.${own}.0a0b0c0f.tmp`,
      otherHost: `.model.safetensors.${otherHost}.0a0b0c10.tmp`,
      legacyDead: `.model.safetensors.${deadPid()}-0a0b0c11.tmp`,
      unrelated: '.hidden-notes',
    };
    for (const n of Object.values(names)) await writeFile(join(d, n), 'x');
    expect(nx.io.writerState(dead)).toBe(ownStart === '0' ? 'alive' : 'dead');
    expect(nx.io.writerState(own)).toBe('alive');
    expect(nx.io.writerState(otherHost)).toBe('unknown');
    const x = nx.ones([2]);
    await nx.io.saveSafetensors(join(d, 'model.safetensors'), { x });
    const left = (await readdir(d)).sort();
    expect(left).toContain(names.live);
    expect(left).toContain(names.otherHost);
    expect(left).toContain(names.unrelated);
    expect(left).not.toContain(names.legacyDead);
    if (ownStart !== '0') { // start times known (Linux): a reused pid is told apart
      expect(left).not.toContain(names.dead);
      expect(left).not.toContain(names.reused);
    }
    nx.dispose(x);
  });

  it('fault points: RAVEN_FAULT_AT=list names each disk step of a save', () => {
    const code = "import * as nx from '@raven/nx'; await nx.io.saveSafetensors(process.argv[1], { x: nx.ones([2]) });";
    const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', code, join(dir, 'listed.safetensors')], { encoding: 'utf8', env: { ...process.env, RAVEN_FAULT_AT: 'list', NX_BACKEND: 'cpu' } });
    const steps = r.stderr.split('\n').filter((l) => l.startsWith('raven-fault-point')).map((l) => l.split(' ').slice(2, 3)[0]);
    expect(steps).toEqual(['create', 'fsync', 'rename', 'fsync']);
  });
});
