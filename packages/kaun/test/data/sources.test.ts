/**
 * Data from nested JS arrays, CSV files (against Python's csv module and a round-trip property)
 * and image folders (PNG exact, JPEG within codec error, resizing by hand).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import * as nx from '@raven/nx';
import { Data, DataError } from '@raven/kaun';
import { python, pythonHas, runPython } from '../_fixtures/python.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'kaun-sources-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const first = <T>(ds: Iterable<T>): T => { for (const b of ds) return b; throw new Error('empty'); };

describe('Data.fromArrays with nested JS arrays', () => {
  it('infers shapes, keeps row order, and names where an array is not rectangular', () => {
    const src = Data.fromArrays({ x: [[1, 2], [3, 4], [5, 6]], y: { data: [0, 1, 1], dtype: 'int32' } });
    const b = first(src.batch(2));
    expect(b.x.shape).toEqual([2, 2]);
    expect(nx.toArray(b.x)).toEqual([[1, 2], [3, 4]]);
    expect(b.y.dtype).toBe('int32');
    const img = Data.fromArrays({ x: [[[1, 2], [3, 4]], [[5, 6], [7, 8]]] });
    expect(first(img.batch(2)).x.shape).toEqual([2, 2, 2]);
    expect(() => Data.fromArrays({ x: [[1, 2], [3]] })).toThrow(/x\[1\] has 1 elements where 2 were expected/);
    expect(() => Data.fromArrays({ x: [[1, 2], ['a', 3]] as never })).toThrow(DataError);
  });
});


describe('Data.readCsv and Data.streamCsv', () => {
  it('reads quoted fields, categories and missing values as Python\'s csv module does', async () => {
    const path = join(dir, 'tricky.csv');
    const rows = [
      ['id', 'text', 'label', 'a', 'b'],
      ['1', 'plain', 'spam', '0.5', '-1e-3'],
      ['2', 'with, comma', 'ham', '2', ''],
      ['3', 'a "quoted" word', 'spam', '-4.25', '7'],
      ['4', 'two\nlines', 'eggs', '1e2', '3'],
    ];
    if (await pythonHas('csv', 'json')) {
      // the file written by Python's csv module (QUOTE_MINIMAL, \r\n line ends)
      const w = await runPython('import csv, json, sys\nw = csv.writer(open(sys.argv[1], "w", newline=""))\nw.writerows(json.loads(sys.argv[2]))', [path, JSON.stringify(rows)]);
      expect(w.status, w.stderr).toBe(0);
    } else {
      console.warn(`${python} is unavailable: the CSV is written by hand in the same dialect`);
      const q = (f: string) => (/[",\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);
      await writeFile(path, rows.map((r) => r.map(q).join(',')).join('\r\n') + '\r\n');
    }
    const { source, categories, rows: n } = await Data.readCsv(path, {
      columns: { x: ['a', 'b'], y: 'label', id: 'id' }, types: { label: { categories: 'auto' }, id: 'int32' }, missing: Number.NaN,
    });
    expect(n).toBe(4);
    expect(categories).toEqual({ label: ['eggs', 'ham', 'spam'] });
    const b = first(source.batch(4));
    expect(Array.from(nx.toTypedArray(b.x))).toEqual([0.5, -1e-3, 2, NaN, -4.25, 7, 100, 3].map(Math.fround));
    expect(nx.toArray(b.y)).toEqual([2, 1, 2, 0]);
    expect(b.id.dtype).toBe('int32');
    await expect(Data.readCsv(path, { columns: { x: ['a', 'b'] } })).rejects.toThrow(/line 3, column 'b' is empty; pass missing/);
    await expect(Data.readCsv(path, { columns: { x: 'text' } })).rejects.toThrow(/'plain' is not a number/);
    await expect(Data.readCsv(path, { columns: { x: 'nope' } })).rejects.toThrow(/no column 'nope' \(columns: id, text, label, a, b\)/);
    await expect(Data.readCsv(path, { columns: { y: 'label' }, types: { label: { categories: ['spam', 'ham'] } } })).rejects.toThrow(/'eggs' is not one of the categories/);
    await expect(Data.readCsv(path, { colums: {} } as never)).rejects.toThrow(/did you mean "columns"/);
  });

  it('round-trips any fields across read chunks (fast-check), streamed or read whole', async () => {
    const field = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r\n', ' ', 'é', '😀'), maxLength: 12 });
    await fc.assert(fc.asyncProperty(fc.array(fc.tuple(field, fc.float({ noNaN: true, noDefaultInfinity: true }).map((v) => (Object.is(v, -0) ? 0 : v))), { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 3000 }), async (rows, pad) => {
      const q = (f: string) => `"${f.replace(/"/g, '""')}"`;
      // a long first field pushes the rows across the 64 KiB read boundary at varying places
      const text = `tag,value,padding\n${rows.map(([s, v], i) => `${q(s)},${v},${i === 0 ? 'x'.repeat(65_000 + pad) : ''}`).join('\n')}\n`;
      const path = join(dir, 'prop.csv');
      await writeFile(path, text);
      const { source, categories } = await Data.readCsv(path, { columns: { tag: 'tag', value: 'value' }, types: { tag: { categories: 'auto' } } });
      const b = first(source.batch(rows.length));
      const tags = Array.from(nx.toTypedArray(b.tag), (i) => categories['tag']![i]!);
      expect(tags).toEqual(rows.map(([s]) => s));
      expect(Array.from(nx.toTypedArray(b.value))).toEqual(rows.map(([, v]) => Math.fround(v)));
      const streamed = [...Data.streamCsv(path, { columns: { value: 'value' }, batchSize: 7 }).iterate(0)];
      expect(streamed.flatMap((s) => Array.from(nx.toTypedArray(s.value)))).toEqual(rows.map(([, v]) => Math.fround(v)));
      nx.dispose([b, streamed]);
    }), { numRuns: 15 });
  });

  it('streamCsv shuffles within its buffer, differently each epoch, the same for the same key', async () => {
    const path = join(dir, 'numbers.csv');
    await writeFile(path, `n\n${Array.from({ length: 100 }, (_, i) => i).join('\n')}\n`);
    const ds = Data.streamCsv(path, { columns: { n: 'n' }, batchSize: 16, shuffleBuffer: 100, key: nx.random.key(4), dropLast: false });
    const epoch = (e: number) => [...ds.iterate(e)].flatMap((b) => Array.from(nx.toTypedArray(b.n)));
    const e0 = epoch(0);
    expect([...e0].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(e0).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(epoch(0)).toEqual(e0);
    expect(epoch(1)).not.toEqual(e0);
    expect([...Data.streamCsv(path, { columns: { n: 'n' }, batchSize: 16, dropLast: true }).iterate(0)]).toHaveLength(6);
  });
});

describe('Data.readImageFolder', () => {
  async function png(path: string, w: number, h: number, rgba: (x: number, y: number) => [number, number, number, number]): Promise<void> {
    const p = new PNG({ width: w, height: h });
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) p.data.set(rgba(x, y), (y * w + x) * 4);
    await writeFile(path, PNG.sync.write(p));
  }

  it('decodes PNG exactly and JPEG closely into [N, C, H, W] in [0, 1], one class per folder', async () => {
    const root = join(dir, 'images');
    await mkdir(join(root, 'cats'), { recursive: true });
    await mkdir(join(root, 'dogs'), { recursive: true });
    await png(join(root, 'cats', 'a.png'), 3, 2, (x, y) => [x * 100, y * 200, 50, 255]);
    await png(join(root, 'dogs', 'b.png'), 3, 2, () => [255, 0, 0, 255]);
    const solid = new Uint8Array(3 * 2 * 4);
    for (let i = 0; i < 6; i++) solid.set([40, 120, 200, 255], 4 * i);
    await writeFile(join(root, 'dogs', 'c.jpg'), jpeg.encode({ data: solid, width: 3, height: 2 }, 100).data);
    await writeFile(join(root, 'dogs', 'notes.txt'), 'not an image');
    const { source, classes, files } = await Data.readImageFolder(root);
    expect(classes).toEqual(['cats', 'dogs']);
    expect(files.map((f) => f.slice(root.length + 1))).toEqual(['cats/a.png', 'dogs/b.png', 'dogs/c.jpg']);
    const b = first(source.batch(3));
    expect(b.x.shape).toEqual([3, 3, 2, 3]);
    expect(nx.toArray(b.y)).toEqual([0, 1, 1]);
    const x = nx.toArray(b.x) as number[][][][];
    expect(x[0]![0]).toEqual([[0, 100, 200], [0, 100, 200]].map((r) => r.map((v) => Math.fround(v / 255))));
    expect(x[0]![1]).toEqual([[0, 0, 0], [200, 200, 200]].map((r) => r.map((v) => Math.fround(v / 255))));
    for (const [c, v] of [[0, 40], [1, 120], [2, 200]] as const) for (const row of x[2]![c]!) for (const p of row) expect(Math.abs(p * 255 - v)).toBeLessThanOrEqual(3);
    const gray = first((await Data.readImageFolder(root, { channels: 1, classes: ['dogs'] })).source.batch(2));
    expect(gray.x.shape).toEqual([2, 1, 2, 3]);
    expect(Array.from(nx.toTypedArray(gray.x)).slice(0, 1)[0]).toBeCloseTo(0.299, 5); // pure red
  });

  it('resizes bilinearly (pixel centres aligned) and refuses mixed sizes without size', async () => {
    const root = join(dir, 'resize');
    await mkdir(join(root, 'only'), { recursive: true });
    await png(join(root, 'only', 'a.png'), 2, 1, (x) => [x === 0 ? 0 : 200, 0, 0, 255]);
    const { source } = await Data.readImageFolder(root, { size: [1, 4] });
    const row = Array.from(nx.toTypedArray(first(source.batch(1)).x)).slice(0, 4).map((v) => Math.round(v * 255 * 1000) / 1000);
    // output x -> source (x + 0.5) / 2 - 0.5, clamped: 0, 0.25, 0.75, 1
    expect(row).toEqual([0, 50, 150, 200]);
    await png(join(root, 'only', 'b.png'), 3, 1, () => [0, 0, 0, 255]);
    await expect(Data.readImageFolder(root)).rejects.toThrow(/is 1x3 but .* is 1x2; pass size/);
    await expect(Data.readImageFolder(join(dir, 'nothing-here'))).rejects.toThrow(DataError);
  });
});
