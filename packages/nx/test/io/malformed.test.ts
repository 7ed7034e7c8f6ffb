import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nx from '@raven/nx';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'nx-bad-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

/** A file: 8-byte LE length (default: the header's length), header bytes, data bytes. */
function craft(header: string | Uint8Array, data: number | Uint8Array = 0, n?: bigint): Uint8Array {
  const h = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.byteLength + d.byteLength);
  new DataView(out.buffer).setBigUint64(0, n ?? BigInt(h.byteLength), true);
  out.set(h, 8);
  out.set(d, 8 + h.byteLength);
  return out;
}
const hdr = (o: unknown) => JSON.stringify(o);
const t = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });

// [case, bytes, message pattern, tensor named in the message (if one is at fault)]
const CASES: Array<[string, Uint8Array, RegExp, string?]> = [
  ['file under 8 bytes', new Uint8Array([1, 0, 0]), /too small to hold the 8-byte header length/],
  ['header length over 100 MB', craft('{}', 0, 100_000_001n), /header length 100000001 exceeds the 100000000-byte limit/],
  ['header length 2^64-1', craft('{}', 0, 2n ** 64n - 1n), /exceeds/],
  ['header past the end of the file', craft('{}', 0, 1000n), /header length 1000 runs past the end of the file/],
  ['non-UTF-8 header', craft(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), /not valid UTF-8/],
  ['non-JSON header', craft('{"a": '), /not valid JSON/],
  ['header with a byte-order mark', craft('\uFEFF{}      '), /not valid JSON/],
  ['header is an array', craft('[]      '), /must be a JSON object, got an array/],
  ['header is null', craft('null    '), /must be a JSON object/],
  ['unknown dtype', craft(hdr({ w: t('F7', [1], [0, 1]) }), 1), /unknown dtype "F7"/, 'w'],
  ['dtype not a string', craft(hdr({ w: t(4 as unknown as string, [1], [0, 4]) }), 4), /dtype must be a string/, 'w'],
  ['entry not an object', craft(hdr({ w: [1, 2] }), 0), /entry must be an object/, 'w'],
  ['overlapping offsets', craft(hdr({ a: t('F32', [2], [0, 8]), b: t('F32', [2], [4, 12]) }), 12), /overlap the previous tensor "a"/, 'b'],
  ['a gap between tensors', craft(hdr({ a: t('F32', [1], [0, 4]), b: t('F32', [1], [8, 12]) }), 12), /leave a gap after "a"/, 'b'],
  ['first offset not 0', craft(hdr({ a: t('F32', [1], [4, 8]) }), 8), /must start at 0/, 'a'],
  ['end before begin', craft(hdr({ a: t('F32', [2], [0, 8]), b: t('F32', [0], [8, 4]) }), 8), /end before they begin/, 'b'],
  ['span != shape x dtype', craft(hdr({ w: t('F32', [2], [0, 4]) }), 4), /span 4 bytes but shape \[2\] x F32 needs 8/, 'w'],
  ['shape product overflow', craft(hdr({ w: t('F32', [2 ** 30, 2 ** 30, 2 ** 30], [0, 4]) }), 4), /more than 2\^53 elements/, 'w'],
  ['bytes overflow', craft(hdr({ w: t('F64', [2 ** 26, 2 ** 24], [0, 8]) }), 8), /overflows 2\^53 bits/, 'w'],
  ['negative shape entry', craft(hdr({ w: t('F32', [-1], [0, 0]) })), /shape must be a list of non-negative integers/, 'w'],
  ['fractional shape entry', craft(hdr({ w: t('F32', [1.5], [0, 6]) }), 6), /non-negative integers/, 'w'],
  ['string shape entry', craft(hdr({ w: t('F32', ['2'], [0, 8]) }), 8), /non-negative integers/, 'w'],
  ['shape missing', craft(hdr({ w: { dtype: 'F32', data_offsets: [0, 4] } }), 4), /non-negative integers, got undefined/, 'w'],
  ['offsets of wrong arity', craft(hdr({ w: t('F32', [1], [0]) }), 4), /data_offsets must be \[begin, end\]/, 'w'],
  ['negative offset', craft(hdr({ w: t('F32', [1], [-4, 0]) }), 4), /data_offsets must be/, 'w'],
  ['trailing bytes', craft(hdr({ w: t('F32', [1], [0, 4]) }), 5), /1 trailing bytes after the last tensor/],
  ['truncated data', craft(hdr({ w: t('F32', [2], [0, 8]) }), 7), /the file is truncated/],
  ['huge claimed tensor in a tiny file', craft(hdr({ w: t('F32', [2 ** 20, 2 ** 20], [0, 2 ** 42]) }), 16), /truncated/],
  ['metadata value not a string', craft(hdr({ __metadata__: { epoch: 3 } })), /__metadata__ value of "epoch" must be a string/],
  ['metadata an array', craft(hdr({ __metadata__: ['a'] })), /__metadata__ must be an object of strings/],
];

describe('malformed safetensors', () => {
  it.each(CASES)('%s', async (_name, bytes, pattern, tensor) => {
    const path = join(dir, `case-${_name.replace(/\W+/g, '-')}.safetensors`);
    await writeFile(path, bytes);
    for (const attempt of [
      () => nx.io.readSafetensorsHeader(path),
      () => nx.io.loadSafetensors(path),
      async () => nx.io.parseSafetensors(bytes),
    ]) {
      const err = await attempt().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(nx.SafetensorsFormatError);
      const message = (err as Error).message;
      expect(message).toMatch(pattern);
      if (!message.includes('<bytes>')) expect(message).toContain(path);
      if (tensor !== undefined) expect(message).toContain(`tensor "${tensor}"`);
    }
  });

  it('accepts zero-element and 0-d tensors, unordered header entries and null metadata', async () => {
    const data = new Uint8Array(new Float32Array([2.5]).buffer);
    const bytes = craft(hdr({ __metadata__: null, s: t('F32', [], [0, 4]), e: t('F32', [0, 3], [0, 0]), z: t('I64', [4, 0], [4, 4]) }) + '   ', data);
    const { tensors } = nx.io.parseSafetensors(bytes);
    expect(tensors.map(([n, x]) => [n, x.shape])).toEqual([['e', [0, 3]], ['s', []], ['z', [4, 0]]]);
    expect(nx.item(tensors[1]![1])).toBe(2.5);
    nx.dispose(tensors);
  });

  it('reads headers of unsupported dtypes, and refuses their tensors by name', async () => {
    const bytes = craft(hdr({ q: t('F8_E4M3', [4], [0, 4]), s: t('F32', [1], [4, 8]) }), 8);
    const path = join(dir, 'f8.safetensors');
    await writeFile(path, bytes);
    const header = await nx.io.readSafetensorsHeader(path);
    expect(header.tensors.q!.dtype).toBe('F8_E4M3');
    const ok = await nx.io.loadSafetensors(path, { names: ['s'] });
    expect(ok.tensors.map(([n]) => n)).toEqual(['s']);
    nx.dispose(ok.tensors);
    const before = nx.memory().numTensors;
    const err = await nx.io.loadSafetensors(path).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(nx.DTypeError);
    expect((err as Error).message).toMatch(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: tensor "q": dtype F8_E4M3 is not supported`));
    expect(nx.memory().numTensors).toBe(before);
  });

  it('refuses int64 values beyond int32 with the file and tensor named, leaking nothing', async () => {
    const data = new Uint8Array(16);
    new DataView(data.buffer).setBigInt64(8, 2n ** 40n, true);
    const bytes = craft(hdr({ a: t('F32', [2], [0, 8]), ids: t('I64', [1], [8, 16]) }), data);
    const path = join(dir, 'i64.safetensors');
    await writeFile(path, bytes);
    const before = nx.memory().numTensors;
    await expect(nx.io.loadSafetensors(path)).rejects.toThrow(/tensor "ids": I64 value 1099511627776 at index 0 does not fit the int32 compute dtype/);
    expect(nx.memory().numTensors).toBe(before);
  });
});
