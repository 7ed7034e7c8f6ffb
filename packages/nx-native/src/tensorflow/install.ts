/**
 * A TensorFlow installation on disk, as the binding needs it: the folder of the C library
 * (`libtensorflow_cc.so.2`, `libtensorflow_framework.so.2`), its headers, its version and whether
 * it was built with CUDA.
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NativeInstallError } from '../errors.js';

/** Where a TensorFlow installation came from. */
export type TensorflowOrigin = 'wheel' | 'folder' | 'python';

/** A TensorFlow installation the binding can be built against. */
export interface TensorflowInstall {
  /** How it was found: an explicit wheel, an explicit folder, or the Python interpreter. */
  origin: TensorflowOrigin;
  /** What was used, for people: the wheel file, the folder, or the Python executable. */
  from: string;
  /** The `tensorflow/` folder that holds the libraries (the wheel's unpacked copy for a wheel). */
  libDir: string;
  /** The headers (`tensorflow/include`). */
  includeDir: string;
  /** The version from the package metadata, or `undefined` when there is none. */
  version: string | undefined;
  /** The distribution name (`tensorflow`, `tensorflow-cpu`, ...), when known. */
  distribution: string | undefined;
  /** Whether TensorFlow was built with CUDA (`is_cuda_build` of its build info). */
  cuda: boolean;
  /** CUDA library folders of the `nvidia-*` pip packages next to it (empty without them). */
  cudaLibDirs: string[];
}

/** The libraries the binding links against, in `libDir`. */
export const TENSORFLOW_LIBRARIES = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'] as const;

/** Whether `dir` is a TensorFlow folder with the C library the binding needs. @internal */
export function hasTensorflowLibraries(dir: string): boolean {
  return TENSORFLOW_LIBRARIES.every((l) => existsSync(join(dir, l)));
}

/** `is_cuda_build` from `python/platform/build_info.py` (false when the file is absent). @internal */
export function readCudaBuild(libDir: string): boolean {
  const file = join(libDir, 'python', 'platform', 'build_info.py');
  if (!existsSync(file)) return false;
  return /['"]is_cuda_build['"]\s*,\s*True/.test(readFileSync(file, 'utf8'));
}

/** Name and version from the `*.dist-info/METADATA` files that sit next to `libDir`. @internal */
export function readDistribution(libDir: string): { name: string; version: string } | undefined {
  const parent = dirname(libDir);
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return undefined;
  }
  for (const e of entries.filter((x) => x.endsWith('.dist-info')).sort()) {
    const meta = join(parent, e, 'METADATA');
    const top = join(parent, e, 'top_level.txt');
    if (!existsSync(meta)) continue;
    if (existsSync(top) && !readFileSync(top, 'utf8').split(/\r?\n/).includes('tensorflow')) continue;
    const text = readFileSync(meta, 'utf8');
    const name = /^Name:\s*(.+)$/m.exec(text)?.[1]?.trim();
    const version = /^Version:\s*(.+)$/m.exec(text)?.[1]?.trim();
    if (name && version && /^(tensorflow|tf-nightly|intel-tensorflow)/i.test(name)) return { name, version };
  }
  return undefined;
}

/** The `lib` folders of the `nvidia-*` pip packages installed beside `libDir` (site-packages/nvidia/x/lib). @internal */
export function findCudaLibDirs(libDir: string): string[] {
  const nvidia = join(dirname(libDir), 'nvidia');
  if (!existsSync(nvidia)) return [];
  return readdirSync(nvidia)
    .map((d) => join(nvidia, d, 'lib'))
    .filter((d) => existsSync(d) && statSync(d).isDirectory())
    .sort();
}

/**
 * Describes the TensorFlow in folder `libDir` (a `tensorflow/` folder of a pip installation or
 * of an unpacked wheel). Throws `no-tensorflow` when the C library is not there.
 * @internal
 */
export function describeFolder(libDir: string, origin: TensorflowOrigin, from: string): TensorflowInstall {
  if (!hasTensorflowLibraries(libDir)) {
    const missing = TENSORFLOW_LIBRARIES.filter((l) => !existsSync(join(libDir, l)));
    throw new NativeInstallError(
      'no-tensorflow',
      `${libDir} has no ${missing.join(' or ')}: it is not a TensorFlow 2.x installation the binding can link ` +
        `(install one with \`pip install tensorflow-cpu\`, or \`pip install 'tensorflow[and-cuda]'\` for CUDA)`,
    );
  }
  const includeDir = join(libDir, 'include');
  if (!existsSync(join(includeDir, 'tensorflow', 'c', 'eager', 'c_api.h'))) {
    throw new NativeInstallError('no-tensorflow', `${libDir} has the TensorFlow library but not its C headers (${includeDir}/tensorflow/c/eager/c_api.h)`);
  }
  const dist = readDistribution(libDir);
  const cuda = readCudaBuild(libDir);
  return {
    origin,
    from,
    libDir,
    includeDir,
    version: dist?.version,
    distribution: dist?.name,
    cuda,
    cudaLibDirs: cuda ? findCudaLibDirs(libDir) : [],
  };
}
