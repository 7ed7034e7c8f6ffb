import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nx from '@raven/nx';
import { specRead } from './spec-reader.js';

type StorageDType = nx.dtypes.StorageDType;
let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'nx-io-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const sameFloat = (a: number, b: number) => (Number.isNaN(a) && Number.isNaN(b)) || Object.is(a, b);

describe('byte layout', () => {
  // Byte vectors from the reference implementation's own tests (safetensors/src/tensor.rs).
  it('matches the reference serializer for one F32 tensor', () => {
    const t = nx.fromArray(Float32Array.from([0, 1, 2, 3, 4, 5]), { shape: [1, 2, 3] });
    const out = nx.io.serializeSafetensors([['attn.0', t]], { checksums: false });
    const header = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    expect(header.length).toBe(64);
    const expected = new Uint8Array(8 + 64 + 24);
    expected[0] = 64;
    expected.set(new TextEncoder().encode(header), 8);
    expected.set(new Uint8Array(Float32Array.from([0, 1, 2, 3, 4, 5]).buffer), 72);
    expect(out).toEqual(expected);
    nx.dispose(t);
  });

  it('pads the header with spaces to a multiple of 8 (reference vectors)', () => {
    expect(Array.from(nx.io.serializeSafetensors([], { checksums: false }))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    const withMeta = nx.io.serializeSafetensors([], { metadata: { framework: 'pt' }, checksums: false });
    expect(Array.from(withMeta)).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
      95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
      116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
    const parsed = nx.io.parseSafetensors(withMeta);
    expect(parsed.tensors).toEqual([]);
    expect({ ...parsed.metadata }).toEqual({ framework: 'pt' });
  });
});

// One generated entry: a storage dtype, a shape and values valid for it.
const INT_RANGES: Partial<Record<StorageDType, [number, number]>> = {
  I64: [-(2 ** 31), 2 ** 31 - 1], U64: [0, 2 ** 31 - 1], I32: [-(2 ** 31), 2 ** 31 - 1], U32: [0, 2 ** 31 - 1],
  I16: [-32768, 32767], U16: [0, 65535], I8: [-128, 127], U8: [0, 255],
};
const entryArb = fc.record({
  storage: fc.constantFrom<StorageDType>('F64', 'F32', 'F16', 'BF16', 'I64', 'U64', 'I32', 'U32', 'I16', 'U16', 'I8', 'U8', 'BOOL'),
  shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
}).chain(({ storage, shape }) => {
  const size = shape.reduce((a, b) => a * b, 1);
  const range = INT_RANGES[storage];
  const values = storage === 'BOOL' ? fc.array(fc.integer({ min: 0, max: 1 }), { minLength: size, maxLength: size })
    : range ? fc.array(fc.integer({ min: range[0], max: range[1] }), { minLength: size, maxLength: size })
      : fc.array(fc.float(), { minLength: size, maxLength: size });
  return values.map((vals) => ({ storage, shape, vals }));
});
const entriesArb = fc.uniqueArray(
  fc.tuple(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== '__metadata__' && !/^(0|[1-9]\d*)$/.test(s)), entryArb),
  { maxLength: 6, selector: ([name]) => name },
);

function expectedValue(storage: StorageDType, v: number): number {
  if (storage === 'F16') return nx.dtypes.fromF16Bits(nx.dtypes.toF16Bits(v));
  if (storage === 'BF16') return nx.dtypes.fromBf16Bits(nx.dtypes.toBf16Bits(v));
  return v;
}

describe('save and load', () => {
  it('round-trips every dtype, 0-d and zero-element tensors, through the file and a spec reader (fast-check)', async () => {
    let run = 0;
    await fc.assert(fc.asyncProperty(entriesArb, fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), async (spec, metadata) => {
      const path = join(dir, `rt-${run++}.safetensors`);
      const entries: Array<[string, nx.Tensor]> = spec.map(([name, e]) => {
        const compute = nx.dtypes.computeDtypeOf(e.storage);
        const data = compute === 'float32' ? Float32Array.from(e.vals) : compute === 'int32' ? Int32Array.from(e.vals) : Uint8Array.from(e.vals);
        return [name, nx.fromArray(data, { shape: e.shape, dtype: compute })];
      });
      const dtypes = Object.fromEntries(spec.map(([name, e]) => [name, e.storage]));
      const before = nx.memory().numTensors;
      await nx.io.saveSafetensors(path, entries, { dtypes, metadata });

      const file = specRead(new Uint8Array(await readFile(path)));
      expect(file.headerLength % 8).toBe(0);
      expect(file.headerText).toMatch(/^\{.*\} *$/s);
      expect(file.order).toEqual(spec.map(([n]) => n));
      const { [nx.io.CHECKSUM_KEY]: sums, ...userMeta } = file.metadata ?? {};
      expect(userMeta).toEqual(metadata);
      expect(Object.keys(JSON.parse(sums!) as object).sort()).toEqual(spec.map(([n]) => n).sort());

      const loaded = await nx.io.loadSafetensors(path);
      expect(nx.memory().numTensors).toBe(before + spec.length);
      expect(loaded.tensors.map(([n]) => n)).toEqual(spec.map(([n]) => n));
      expect({ ...loaded.metadata }).toEqual(metadata);
      spec.forEach(([name, e], i) => {
        const [, t] = loaded.tensors[i]!;
        const fromSpec = file.tensors.get(name)!;
        expect(fromSpec.dtype).toBe(e.storage);
        expect(fromSpec.shape).toEqual(e.shape);
        expect(loaded.dtypes[name]).toBe(e.storage);
        expect(t.shape).toEqual(e.shape);
        expect(t.dtype).toBe(nx.dtypes.computeDtypeOf(e.storage));
        const got = Array.from(nx.toTypedArray(t));
        e.vals.forEach((v, j) => {
          const want = expectedValue(e.storage, v);
          if (!sameFloat(got[j]!, want) || !sameFloat(fromSpec.values[j]!, want)) {
            throw new Error(`${name}[${j}] ${e.storage}: wrote ${v}, expected ${want}, nx read ${got[j]}, spec reader read ${fromSpec.values[j]}`);
          }
        });
      });
      nx.dispose(entries.map(([, t]) => t));
      nx.dispose(loaded.tensors.map(([, t]) => t));
    }), { numRuns: 40 });
  }, 60_000);

  it('parses the same tensors from memory as from the file, and honours names', async () => {
    const a = nx.fromArray([[1, 2], [3, 4]]);
    const b = nx.fromArray(Int32Array.from([7, -8]));
    const c = nx.scalar(true);
    const path = join(dir, 'names.safetensors');
    await nx.io.saveSafetensors(path, { a, b, c });
    const bytes = new Uint8Array(await readFile(path));
    expect(nx.io.serializeSafetensors({ a, b, c })).toEqual(bytes);
    const mem = nx.io.parseSafetensors(bytes, { names: ['c', 'a', 'missing'] });
    expect(mem.tensors.map(([n]) => n)).toEqual(['a', 'c']);
    expect(nx.toArray(mem.tensors[1]![1])).toBe(true);
    const filtered = await nx.io.loadSafetensors(path, { names: (n) => n === 'b' });
    expect(filtered.tensors.map(([n]) => n)).toEqual(['b']);
    expect(nx.toArray(filtered.tensors[0]![1])).toEqual([7, -8]);
    const header = await nx.io.readSafetensorsHeader(path);
    expect(header.names).toEqual(['a', 'b', 'c']);
    expect(header.tensors.a).toEqual({ dtype: 'F32', shape: [2, 2], dataOffsets: [0, 16] });
    expect(header.tensors.c).toEqual({ dtype: 'BOOL', shape: [], dataOffsets: [24, 25] });
    expect(header.dataStart % 8).toBe(0);
    nx.dispose([a, b, c, mem.tensors, filtered.tensors]);
  });

  it('a tensor named __proto__ (or constructor) is saved with its checksum and loads back, from the file and from memory', async () => {
    // found by the round-trip property above: the checksum map was a plain object, where
    // sums['__proto__'] = ... sets the prototype, so the name had no checksum and loading refused the file
    const p = nx.fromArray([1.5, -2]);
    const q = nx.fromArray(Int32Array.from([3]));
    const entries: Array<[string, nx.Tensor]> = [['__proto__', p], ['constructor', q]];
    const path = join(dir, 'proto.safetensors');
    await nx.io.saveSafetensors(path, entries);
    const bytes = new Uint8Array(await readFile(path));
    expect(nx.io.serializeSafetensors(entries)).toEqual(bytes);
    const sums = JSON.parse((await nx.io.readSafetensorsHeader(path)).metadata![nx.io.CHECKSUM_KEY]!) as object;
    expect(Object.keys(sums).sort()).toEqual(['__proto__', 'constructor']);
    for (const loaded of [await nx.io.loadSafetensors(path), nx.io.parseSafetensors(bytes)]) {
      expect(loaded.tensors.map(([n]) => n)).toEqual(['__proto__', 'constructor']);
      expect(nx.toArray(loaded.tensors[0]![1])).toEqual([1.5, -2]);
      expect(nx.toArray(loaded.tensors[1]![1])).toEqual([3]);
      nx.dispose(loaded.tensors.map(([, t]) => t));
    }
    nx.dispose([p, q]);
  });

  it('writes float32 tensors in a narrower dtype with `dtype`, leaving ints alone', async () => {
    const w = nx.fromArray([0.1, 1, 65520]);
    const i = nx.fromArray(Int32Array.from([100000]));
    const path = join(dir, 'half.safetensors');
    await nx.io.saveSafetensors(path, { w, i }, { dtype: 'F16' });
    const file = specRead(new Uint8Array(await readFile(path)));
    expect(file.tensors.get('w')!.dtype).toBe('F16');
    expect(Array.from(file.tensors.get('w')!.values)).toEqual([0.0999755859375, 1, Infinity]);
    expect(file.tensors.get('i')!.dtype).toBe('I32');
    nx.dispose([w, i]);
  });

  it('refuses bad entries before writing anything', async () => {
    const t = nx.ones([1]);
    const path = join(dir, 'bad.safetensors');
    await expect(nx.io.saveSafetensors(path, [['__metadata__', t]])).rejects.toThrow(/reserved/);
    await expect(nx.io.saveSafetensors(path, [['x', t], ['x', t]])).rejects.toThrow(/twice/);
    await expect(nx.io.saveSafetensors(path, { x: t }, { metadata: { n: 1 as unknown as string } })).rejects.toThrow(/must be a string/);
    await expect(nx.io.saveSafetensors(path, { x: t }, { dtype: 'F8_E4M3' as StorageDType })).rejects.toThrow(/dtype F8_E4M3 is not supported/);
    nx.dispose(t);
    await expect(nx.io.saveSafetensors(path, { x: t })).rejects.toThrow(/disposed/);
    expect(await readdir(dir)).not.toContain('bad.safetensors');
    await expect(nx.io.saveSafetensors(join(dir, 'no', 'such', 'x.safetensors'), {})).rejects.toThrow(/the folder .* does not exist/);
  });
});

describe('memory while loading', () => {
  it('reads each tensor by offset, never more than one tensor at a time', async () => {
    const path = join(dir, 'offsets.safetensors');
    const entries: Array<[string, nx.Tensor]> = Array.from({ length: 6 }, (_, i) => [`t${i}`, nx.full([16384], i)]);
    await nx.io.saveSafetensors(path, entries);
    const probe = await open(path, 'r');
    const proto = Object.getPrototypeOf(probe) as { read: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const reads: number[] = [];
    const realRead = proto.read;
    const spy = vi.spyOn(proto, 'read').mockImplementation(function (this: unknown, ...args: unknown[]) {
      reads.push(args[2] as number); // (buffer, offset, length, position)
      return realRead.apply(this, args);
    });
    let loaded: Array<[string, nx.Tensor]>;
    try {
      loaded = (await nx.io.loadSafetensors(path, { names: ['t1', 't4'] })).tensors;
    } finally {
      spy.mockRestore();
    }
    const { dataStart } = await nx.io.readSafetensorsHeader(path);
    // the 8-byte length, the header, then exactly the two selected tensors
    expect(reads).toEqual([8, dataStart - 8, 65536, 65536]);
    expect(loaded.map(([n, t]) => [n, nx.toTypedArray(t)[16383]])).toEqual([['t1', 1], ['t4', 4]]);
    nx.dispose([entries.map(([, t]) => t), loaded]);
  });
});

describe('atomic save', () => {
  async function tempFiles(): Promise<string[]> {
    return (await readdir(dir)).filter((f) => f.endsWith('.tmp'));
  }

  it('a value that fails to encode midway leaves the old file intact and no temp file', async () => {
    const path = join(dir, 'atomic.safetensors');
    const old = nx.fromArray([1, 2, 3]);
    await nx.io.saveSafetensors(path, { old });
    const before = await readFile(path);
    const big = nx.zeros([1 << 16]); // written first, so the failure comes after bytes hit the temp file
    const bad = nx.fromArray(Int32Array.from([1, 300]));
    await expect(nx.io.saveSafetensors(path, { big, bad }, { dtypes: { bad: 'I8' } })).rejects.toThrow(/tensor "bad".*300.*I8/);
    expect(await readFile(path)).toEqual(before);
    expect(await tempFiles()).toEqual([]);
    const { tensors } = await nx.io.loadSafetensors(path);
    expect(nx.toArray(tensors[0]![1])).toEqual([1, 2, 3]);
    nx.dispose([old, big, bad, tensors]);
  });

  it('an injected write failure leaves the old file intact and no temp file', async () => {
    const path = join(dir, 'inject.safetensors');
    await writeFile(path, 'previous content');
    const probe = await open(path, 'r');
    const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const realWrite = proto.write;
    let calls = 0;
    const spy = vi.spyOn(proto, 'write').mockImplementation(function (this: unknown, ...args: unknown[]) {
      calls += 1;
      if (calls === 2) return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device (injected)'), { code: 'ENOSPC' }));
      return realWrite.apply(this, args);
    });
    const t1 = nx.zeros([3 << 20]); // 12 MB: bypasses the coalescing buffer, so several writes happen
    const t2 = nx.ones([3 << 20]);
    let err: unknown;
    try {
      err = await nx.io.saveSafetensors(path, { t1, t2 }).then(() => undefined, (e: unknown) => e);
    } finally {
      spy.mockRestore();
    }
    // a typed error naming the file, what it needed and what is free
    expect(err).toBeInstanceOf(nx.DiskFullError);
    const full = err as nx.DiskFullError;
    expect(full.path).toBe(path);
    expect(full.bytesNeeded).toBeGreaterThan(2 * 4 * (3 << 20));
    expect(full.message).toMatch(/no space left on the device while writing .*inject\.safetensors; it needs 25\.2 MB, [\d.]+ MB is free there\. The previous file is intact/);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(await readFile(path, 'utf8')).toBe('previous content');

    expect(await tempFiles()).toEqual([]);
    nx.dispose([t1, t2]);
  }, 30_000);
});
