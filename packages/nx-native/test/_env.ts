/**
 * What the installer tests need from the machine: a TensorFlow to build against (a wheel from
 * `$RAVEN_TF_WHEEL`, else the TensorFlow of `$RAVEN_PYTHON`/`python3`), scratch projects with a
 * real node_modules, and a listing of node_modules to compare before and after.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync, crc32 } from 'node:zlib';
import { runChild } from '../src/child.js';

/** The TensorFlow the tests build against, or why there is none. */
export interface TestTensorflow {
  /** A wheel path, or undefined to let the installer ask Python. */
  tensorflow?: string;
  /** The Python to ask. */
  python?: string;
  /** For messages. */
  describe: string;
}

async function pythonWithTensorflow(): Promise<string | undefined> {
  for (const py of [process.env['RAVEN_PYTHON'], 'python3'].filter((x): x is string => !!x)) {
    const r = await runChild(py, ['-c', "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('tensorflow') else 1)"], { timeoutMs: 60_000 });
    if (r.status === 0) return py;
  }
  return undefined;
}

/** The TensorFlow to test with, or a reason string when the machine has none. */
export async function testTensorflow(): Promise<TestTensorflow | string> {
  const wheel = process.env['RAVEN_TF_WHEEL'];
  if (wheel && existsSync(wheel)) return { tensorflow: wheel, describe: `wheel ${wheel}` };
  const py = await pythonWithTensorflow();
  if (py) return { python: py, describe: `Python ${py}` };
  return 'no TensorFlow on this machine: set RAVEN_TF_WHEEL to a tensorflow-cpu wheel, or RAVEN_PYTHON to a Python with tensorflow (.ci/run does both)';
}

const made: string[] = [];

/** A fresh empty folder under the system's temporary folder, removed by {@link removeScratch}. */
export function scratchDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Removes every folder {@link scratchDir} made (call it in `afterAll`). */
export function removeScratch(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** The installer's cache for tests: `$RAVEN_CACHE_ROOT/nx-native` when set (a wheel unpacks once), else a fresh folder. */
export function testCacheDir(): string {
  const root = process.env['RAVEN_CACHE_ROOT'];
  return root ? join(root, 'nx-native') : scratchDir('nx-native-cache-');
}

/**
 * A scratch project with `@tensorflow/tfjs-core@version` installed by npm (from the registry or
 * npm's cache), as a user's project would be before the installer runs.
 */
export async function scratchProject(tfjsCore = '4.22.0'): Promise<string> {
  const dir = scratchDir('nx-native-project-');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch', private: true, dependencies: { '@tensorflow/tfjs-core': tfjsCore } }, null, 2));
  const r = await runChild('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: dir, timeoutMs: 300_000 });
  if (r.status !== 0) throw new Error(`npm install in ${dir} failed:\n${r.stderr}`);
  return dir;
}

/** Every path under `dir` (not following links) with a hash of each file's content: equal listings mean an unchanged tree. */
export function treeListing(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      const r = rel ? `${rel}/${e}` : e;
      const st = lstatSync(p);
      if (st.isDirectory()) {
        out.set(r + '/', 'dir');
        walk(p, r);
      } else out.set(r, st.isSymbolicLink() ? 'link' : createHash('sha1').update(readFileSync(p)).digest('hex'));
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out;
}

/** Writes a zip archive (stored entries) with the given files: a well-formed archive that is not a TensorFlow wheel. */
export function writeZip(path: string, files: Record<string, string>): void {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const packed = deflateRawSync(data);
    const nameBuf = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, packed);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  writeFileSync(path, Buffer.concat([...locals, cd, end]));
}

