/**
 * Finds the TensorFlow to build against: an explicit path (a wheel file, a `tensorflow/` folder
 * or the folder that contains one, such as a site-packages), else the Python interpreter's.
 * @module
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { NativeInstallError } from '../errors.js';
import { describeFolder, hasTensorflowLibraries, type TensorflowInstall } from './install.js';
import { fromPython } from './python.js';
import { fromWheel } from './wheel.js';

/** Where to look for TensorFlow. */
export interface LocateRequest {
  /** A wheel file or a folder; when absent, Python is asked. */
  path?: string | undefined;
  /** The Python interpreter to ask (default `$RAVEN_PYTHON`, then `python3`, `python`). */
  python?: string | undefined;
  /** The installer's cache folder (wheels are unpacked there). */
  cacheDir: string;
  /** Receives one line per step. */
  log: (line: string) => void;
}

/**
 * The TensorFlow installation to build against.
 * @throws NativeInstallError `bad-path`, `bad-wheel`, `no-tensorflow` or `no-python`.
 * @internal
 */
export async function locateTensorflow(req: LocateRequest): Promise<TensorflowInstall> {
  if (req.path === undefined) return await fromPython(req.python, req.log);
  const path = resolve(req.path);
  if (!existsSync(path)) throw new NativeInstallError('bad-path', `${path}: no such file or folder (expected a TensorFlow wheel or a tensorflow/ folder)`);
  if (statSync(path).isFile()) return fromWheel(path, req.cacheDir, req.log);
  for (const dir of [path, join(path, 'tensorflow')]) {
    if (hasTensorflowLibraries(dir)) {
      req.log(`using the TensorFlow folder ${dir}`);
      return describeFolder(dir, 'folder', dir);
    }
  }
  throw new NativeInstallError(
    'bad-path',
    `${path} is neither a wheel nor a TensorFlow folder (one with libtensorflow_cc.so.2, or a folder containing tensorflow/ with it, ` +
      'such as a site-packages folder)',
  );
}
