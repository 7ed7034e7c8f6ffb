/**
 * A TensorFlow wheel file (`tensorflow-*.whl`, `tensorflow_cpu-*.whl`) as a TensorFlow
 * installation: the parts the binding needs (the two C libraries, the C API headers, the build
 * info and the package metadata: about 860 MB, nearly all of it `libtensorflow_cc.so.2`) are unpacked once into the
 * installer's cache, keyed by the wheel's SHA-256, and reused after that.
 * @module
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { NativeInstallError } from '../errors.js';
import { describeFolder, hasTensorflowLibraries, type TensorflowInstall } from './install.js';

/**
 * Entries of the wheel that are unpacked: the C libraries, the headers the C API includes (the
 * wheel's full include tree is 13,000 files; the C API needs these subtrees), the build info and
 * the metadata. A C++ file added to the binding that needs another header subtree adds it here.
 */
const WANTED: readonly RegExp[] = [
  /^tensorflow\/libtensorflow_(cc|framework)\.so\.2$/,
  /^tensorflow\/include\/tensorflow\/c\//,
  // kernels.h (custom ops registered through the C API) includes one header from here
  /^tensorflow\/include\/tensorflow\/core\/common_runtime\/next_pluggable_device\/c\//,
  /^tensorflow\/include\/tensorflow\/core\/platform\//,
  /^tensorflow\/include\/tensorflow\/core\/public\//,
  /^tensorflow\/include\/tsl\//,
  /^tensorflow\/include\/xla\/tsl\//,
  /^tensorflow\/python\/platform\/build_info\.py$/,
  /^[^/]+\.dist-info\/(METADATA|top_level\.txt|WHEEL)$/,
];

/** SHA-256 of a file, streamed. @internal */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, zip) => (err ? reject(err) : resolve(zip)));
  });
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<NodeJS.ReadableStream> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (err, stream) => (err ? reject(err) : resolve(stream))));
}

/** Unpacks the wanted entries of `wheel` into `dest`; returns how many. */
async function unpack(wheel: string, dest: string): Promise<number> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(wheel);
  } catch (e) {
    throw new NativeInstallError('bad-wheel', `${wheel} is not a readable wheel (zip archive): ${(e as Error).message}; download it again (\`pip download --no-deps tensorflow-cpu\`)`, { cause: e });
  }
  let count = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        const name = entry.fileName;
        if (name.endsWith('/') || !WANTED.some((r) => r.test(name)) || name.split('/').includes('..')) {
          zip.readEntry();
          return;
        }
        const target = join(dest, name);
        mkdirSync(dirname(target), { recursive: true });
        const mode = (entry.externalFileAttributes >>> 16) & 0o777 || 0o644;
        openEntry(zip, entry)
          .then((stream) => pipeline(stream, createWriteStream(target, { mode })))
          .then(() => {
            count++;
            zip.readEntry();
          }, reject);
      });
      zip.readEntry();
    });
  } catch (e) {
    throw new NativeInstallError('bad-wheel', `${wheel} is damaged (${(e as Error).message}); download it again`, { cause: e });
  } finally {
    zip.close();
  }
  return count;
}

/** Names the set of entries unpacked, so that an unpack made with another set is not reused. */
const WANTED_KEY = createHash('sha256').update(WANTED.map(String).join('\n')).digest('hex').slice(0, 8);

/**
 * The TensorFlow of a wheel file, unpacked into `<cacheDir>/tensorflow/<wheel>-<sha>-<entries>` on
 * first use (into a temporary folder renamed when complete, so an interrupted unpack is never
 * used); `<entries>` changes with the list of entries unpacked, so a cache made by an installer
 * that unpacked fewer headers is not used for a build that needs more.
 * @param log - receives one line per step.
 * @internal
 */
export async function fromWheel(wheel: string, cacheDir: string, log: (line: string) => void): Promise<TensorflowInstall> {
  if (!existsSync(wheel) || !statSync(wheel).isFile()) throw new NativeInstallError('bad-path', `${wheel}: no such wheel file`);
  log(`hashing ${wheel}`);
  const sha = await sha256File(wheel);
  const root = join(cacheDir, 'tensorflow', `${basename(wheel, '.whl')}-${sha.slice(0, 16)}-${WANTED_KEY}`);
  const libDir = join(root, 'tensorflow');
  if (!existsSync(join(root, '.complete'))) {
    const partial = `${root}.partial-${process.pid}`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    try {
      log(`unpacking the TensorFlow C library and headers of ${basename(wheel)} into ${root}`);
      const n = await unpack(wheel, partial);
      if (!hasTensorflowLibraries(join(partial, 'tensorflow'))) {
        throw new NativeInstallError(
          'no-tensorflow',
          `${wheel} holds no tensorflow/libtensorflow_cc.so.2 and libtensorflow_framework.so.2 (${n} entries matched): ` +
            'use a Linux wheel of tensorflow or tensorflow-cpu 2.x',
        );
      }
      writeFileSync(join(partial, '.complete'), JSON.stringify({ wheel, sha256: sha }) + '\n');
      try {
        renameSync(partial, root); // only a complete unpack ever gets the final name
      } catch (e) {
        if (!existsSync(join(root, '.complete'))) throw e; // another installer finished first: use its copy
      }
    } finally {
      rmSync(partial, { recursive: true, force: true });
    }
  } else {
    log(`using the unpacked copy in ${root}`);
  }
  return describeFolder(libDir, 'wheel', wheel);
}
