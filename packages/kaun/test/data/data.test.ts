import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Data, DataError } from '@raven/kaun';

const N = 10;
// row i of x is [i, 100 + i]; y[i] = i
const xs = Float32Array.from({ length: N * 2 }, (_, j) => (j % 2 === 0 ? j / 2 : 100 + (j - 1) / 2));
const ys = Int32Array.from({ length: N }, (_, i) => i);
const source = () => Data.fromArrays({ x: { data: xs, shape: [N, 2] }, y: ys });

function epochRows(ds: Iterable<{ x: nx.Tensor; y: nx.Tensor }>): { ys: number[]; sizes: number[] } {
  const out: number[] = [];
  const sizes: number[] = [];
  for (const b of ds) {
    const y = Array.from(b.y.dataSync());
    const x = Array.from(b.x.dataSync());
    // rows stay aligned across columns
    y.forEach((v, i) => { expect(x[2 * i]).toBe(v); expect(x[2 * i + 1]).toBe(100 + v); });
    out.push(...y);
    sizes.push(y.length);
    nx.dispose(b);
  }
  return { ys: out, sizes };
}

describe('Data.fromArrays and batch', () => {
  it('batch counts with and without dropLast; shapes and dtypes', () => {
    const ds = source().batch(4);
    expect(ds.length).toBe(3);
    const { ys: order, sizes } = epochRows(ds.iterate(0));
    expect(order).toEqual([...Array(N).keys()]);
    expect(sizes).toEqual([4, 4, 2]);
    const dropped = source().batch(4, { dropLast: true });
    expect(dropped.length).toBe(2);
    expect(epochRows(dropped.iterate(0)).sizes).toEqual([4, 4]);
    const first = source().batch(3).iterate(0)[Symbol.iterator]().next().value!;
    expect(first.x.shape).toEqual([3, 2]);
    expect(first.x.dtype).toBe('float32');
    expect(first.y.dtype).toBe('int32');
    nx.dispose(first);
  });

  it('converts Uint8 rows to float32 while copying', () => {
    const bytes = Uint8Array.from([0, 128, 255, 7]);
    const b = Data.fromArrays({ x: { data: bytes, shape: [2, 2], dtype: 'float32' } }).batch(2).iterate(0)[Symbol.iterator]().next().value!;
    expect(b.x.dtype).toBe('float32');
    expect(Array.from(b.x.dataSync())).toEqual([0, 128, 255, 7]);
    nx.dispose(b);
  });

  it('validates columns', () => {
    expect(() => Data.fromArrays({ x: { data: new Float32Array(6), shape: [2, 2] } })).toThrow(DataError);
    expect(() => Data.fromArrays({ x: { data: new Float32Array(4), shape: [2, 2] }, y: new Int32Array(3) })).toThrow(/different numbers of rows/);
    expect(() => source().batch(0)).toThrow(/size/);
  });

  it('fromTensors reads tensors once', () => {
    const x = nx.fromArray([[1, 2], [3, 4], [5, 6]]);
    const src = Data.fromTensors({ x });
    nx.dispose(x);
    const b = src.batch(2).iterate(0)[Symbol.iterator]().next().value!;
    expect(Array.from(b.x.dataSync())).toEqual([1, 2, 3, 4]);
    nx.dispose(b);
  });
});

describe('shuffle', () => {
  it('is a permutation, deterministic per (key, epoch), different across epochs and keys', () => {
    const a = source().shuffle(nx.random.key(1)).batch(3);
    const b = source().shuffle(nx.random.key(1)).batch(3);
    const e0 = epochRows(a.iterate(0)).ys;
    expect([...e0].sort((p, q) => p - q)).toEqual([...Array(N).keys()]);
    expect(epochRows(b.iterate(0)).ys).toEqual(e0);
    const e1 = epochRows(a.iterate(1)).ys;
    expect(e1).not.toEqual(e0);
    expect(epochRows(a.iterate(0)).ys).toEqual(e0); // replaying epoch 0 gives the same order
    expect(epochRows(source().shuffle(nx.random.key(2)).batch(3).iterate(0)).ys).not.toEqual(e0);
    // equals the documented definition
    const perm = Array.from(nx.random.permutationArray(nx.random.foldIn(nx.random.key(1), 1), N));
    expect(e1).toEqual(perm);
  });

  it('for...of advances the epoch on each loop', () => {
    const ds = source().shuffle(nx.random.key(3)).batch(5);
    const first = epochRows(ds).ys;
    const second = epochRows(ds).ys;
    expect(first).toEqual(epochRows(ds.iterate(0)).ys);
    expect(second).toEqual(epochRows(ds.iterate(1)).ys);
  });

  it('take and skip select rows; after shuffle take is a fresh subset each epoch', () => {
    expect(epochRows(source().skip(7).batch(2).iterate(0)).ys).toEqual([7, 8, 9]);
    expect(epochRows(source().take(3).batch(2).iterate(0)).ys).toEqual([0, 1, 2]);
    expect(epochRows(source().skip(2).take(3).batch(5).iterate(0)).ys).toEqual([2, 3, 4]);
    const sub = source().skip(5).shuffle(nx.random.key(0)).batch(5);
    expect(epochRows(sub.iterate(0)).ys.sort((p, q) => p - q)).toEqual([5, 6, 7, 8, 9]);
    const s = source().shuffle(nx.random.key(4)).take(4);
    expect(s.length).toBe(4);
    expect(epochRows(s.batch(4).iterate(0)).ys).not.toEqual(epochRows(s.batch(4).iterate(1)).ys);
  });
});

describe('streaming without copies', () => {
  it('references the arrays (no copy at construction)', () => {
    const data = new Float32Array([1, 2, 3]);
    const ds = Data.fromArrays({ x: data }).batch(3);
    data[0] = 42;
    const b = ds.iterate(0)[Symbol.iterator]().next().value!;
    expect(b.x.dataSync()[0]).toBe(42);
    nx.dispose(b);
  });

  it('building a batch from a shuffled 64 MB column allocates about one batch, not the dataset', () => {
    const rows = 16384;
    const big = new Float32Array(rows * 1024); // 64 MB
    const ds = Data.fromArrays({ x: { data: big, shape: [rows, 1024] } }).shuffle(nx.random.key(0)).batch(256);
    for (const epoch of [0, 1]) {
      const it = ds.iterate(epoch)[Symbol.iterator]();
      const base = process.memoryUsage().arrayBuffers;
      const b = it.next().value!;
      const grown = process.memoryUsage().arrayBuffers - base;
      expect(b.x.shape).toEqual([256, 1024]);
      expect(grown).toBeLessThan(16 * 1024 * 1024); // one batch is 1 MB; a copy of the column would be 64 MB
      nx.dispose(b);
      it.return?.();
    }
  });
});

describe('map, prefetch, take, fromGenerator', () => {
  it('map transforms lazily and disposes replaced tensors; no leak over an epoch', () => {
    const ds = source().batch(4).map(({ x, y }) => ({ x: nx.mul(x, 2), y }));
    const before = nx.memory().numTensors;
    const got: number[] = [];
    for (const b of ds.iterate(0)) {
      got.push(b.x.dataSync()[0]!);
      nx.dispose(b);
    }
    expect(got).toEqual([0, 8, 16]);
    expect(nx.memory().numTensors).toBe(before);
  });

  it('prefetch keeps order and frees its buffer when stopped early', () => {
    const ds = source().batch(2).prefetch(3);
    expect(epochRows(ds.iterate(0)).ys).toEqual([...Array(N).keys()]);
    const before = nx.memory().numTensors;
    for (const b of ds.iterate(0)) { nx.dispose(b); break; }
    expect(nx.memory().numTensors).toBe(before);
  });

  it('take limits batches; fromGenerator passes the epoch', () => {
    expect(source().batch(2).take(2).length).toBe(2);
    expect(epochRows(source().batch(2).take(2).iterate(0)).ys).toEqual([0, 1, 2, 3]);
    const gen = Data.fromGenerator(function* (epoch) { yield epoch; yield epoch + 1; }, { length: 2 });
    expect([...gen.iterate(5)]).toEqual([5, 6]);
  });
});
