import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { Datasets, DataError } from '@raven/kaun';

/** An IDX file written by hand: magic 00 00 type rank, big-endian dims, big-endian values. */
function idx(type: number, dims: number[], body: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  const v = new DataView(head.buffer);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

describe('Datasets.parseIdx', () => {
  it('reads uint8, int32 and float32 (big-endian) files, plain or gzip', () => {
    const u8 = idx(0x08, [2, 3], Uint8Array.from([1, 2, 3, 250, 251, 252]));
    for (const bytes of [u8, gzipSync(u8)]) {
      const a = Datasets.parseIdx(bytes);
      expect(a.dtype).toBe('uint8');
      expect(a.shape).toEqual([2, 3]);
      expect(Array.from(a.data)).toEqual([1, 2, 3, 250, 251, 252]);
    }
    const i32 = new Uint8Array(8);
    new DataView(i32.buffer).setInt32(0, -5, false);
    new DataView(i32.buffer).setInt32(4, 70000, false);
    expect(Array.from(Datasets.parseIdx(idx(0x0c, [2], i32)).data)).toEqual([-5, 70000]);
    const f32 = new Uint8Array(4);
    new DataView(f32.buffer).setFloat32(0, 1.5, false);
    const f = Datasets.parseIdx(idx(0x0d, [1, 1], f32));
    expect(f.dtype).toBe('float32');
    expect(Array.from(f.data)).toEqual([1.5]);
  });

  it('rejects malformed files with DataError', () => {
    const good = idx(0x08, [2, 2], new Uint8Array(4));
    const badMagic = good.slice();
    badMagic[0] = 1;
    expect(() => Datasets.parseIdx(badMagic)).toThrow(DataError);
    expect(() => Datasets.parseIdx(badMagic)).toThrow(/magic number/);
    const badType = good.slice();
    badType[2] = 0x07;
    expect(() => Datasets.parseIdx(badType)).toThrow(/type code 0x7/);
    expect(() => Datasets.parseIdx(good.subarray(0, good.length - 1))).toThrow(/truncated/);
    expect(() => Datasets.parseIdx(idx(0x08, [2, 2], new Uint8Array(5)))).toThrow(/needs 16/);
    const gz = gzipSync(good);
    expect(() => Datasets.parseIdx(gz.subarray(0, gz.length - 6))).toThrow(/gzip/);
    expect(() => Datasets.parseIdx(new Uint8Array([0, 0]))).toThrow(DataError);
  });
});

describe('Datasets.cacheDir', () => {
  it('follows RAVEN_CACHE_ROOT, then XDG_CACHE_HOME, then ~/.cache, read at each call', () => {
    const saved = { r: process.env['RAVEN_CACHE_ROOT'], x: process.env['XDG_CACHE_HOME'] };
    try {
      process.env['RAVEN_CACHE_ROOT'] = '/tmp/raven-root';
      process.env['XDG_CACHE_HOME'] = '/tmp/xdg';
      expect(Datasets.cacheDir()).toBe('/tmp/raven-root/datasets');
      delete process.env['RAVEN_CACHE_ROOT'];
      expect(Datasets.cacheDir()).toBe('/tmp/xdg/raven/datasets');
      delete process.env['XDG_CACHE_HOME'];
      expect(Datasets.cacheDir()).toMatch(/\.cache\/raven\/datasets$/);
    } finally {
      if (saved.r === undefined) delete process.env['RAVEN_CACHE_ROOT']; else process.env['RAVEN_CACHE_ROOT'] = saved.r;
      if (saved.x === undefined) delete process.env['XDG_CACHE_HOME']; else process.env['XDG_CACHE_HOME'] = saved.x;
    }
  });
});
