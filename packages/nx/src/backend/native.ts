/**
 * The native backend's binding (`tfjs_binding.node` of `@tensorflow/tfjs-node(-gpu)`), and what
 * it says about the TensorFlow it runs: version, GPU, devices, the library file, and the
 * installation `raven-nx-native` built it from.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * What `raven-nx-native` compiles into the binding beside tfjs-node's own functions (see
 * `packages/nx-native/binding/`): available as `binding.raven` when it built the binding.
 * @internal
 */
export interface RavenExtensions {
  /** Version of the C++ hook interface. */
  hookVersion: number;
  /** The resolved path of the TensorFlow library the C API was loaded from. */
  libraryPath(): string | null;
  /** Every device of the eager context. */
  devices(): { name: string; type: string }[];
  /** The device tfjs-node places ops on. */
  executionDevice(): string;
  /** Functions other C++ files of `packages/nx-native/binding/` add. */
  [name: string]: unknown;
}

/**
 * The part of tfjs-node's binding nx reads. Tensor ids are TF.js's `dataId.id` on this backend.
 * @internal
 */
export interface NativeBinding {
  /** `TF_Version()` of the library loaded. */
  TF_Version: string;
  /** Whether tfjs-node runs ops on a GPU (TensorFlow listed one when the binding started). */
  isUsingGpuDevice(): boolean;
  /** The extensions compiled in by `raven-nx-native`; absent for a binding built otherwise. */
  raven?: RavenExtensions;
}

/** What the native backend runs: reported by TensorFlow itself. */
export interface NativeInfo {
  /** The version of the TensorFlow library actually loaded (`TF_Version()`). */
  tensorflowVersion: string;
  /** Whether ops run on a GPU, as TensorFlow reports its devices. */
  gpu: boolean;
  /** The device ops are placed on (`/job:localhost/replica:0/task:0/device:GPU:0`), when known. */
  executionDevice: string | null;
  /** Types and names of the devices TensorFlow sees, e.g. `CPU /job:localhost/.../device:CPU:0`. */
  devices: string[];
  /** The TensorFlow library file the process loaded (resolved), when known. */
  library: string | null;
  /** The TensorFlow installation the binding was built from: a wheel file, a folder, or a Python executable and its `tensorflow/` folder. */
  installation: string | null;
  /** Who built the binding: `raven-nx-native`, or `tfjs-node` (its own installer's libtensorflow download). */
  builtBy: 'raven-nx-native' | 'tfjs-node';
}

/**
 * The binding of the registered `tensorflow` backend, or `undefined` when it is not loaded.
 * For nx's own use (backend information, `nx.jit`).
 * @internal
 */
export function nativeBinding(): NativeBinding | undefined {
  if (tf.findBackendFactory('tensorflow') === null) return undefined;
  const backend = tf.findBackend('tensorflow') as unknown as { binding?: NativeBinding } | null;
  return backend?.binding;
}

/** The manifest `raven-nx-native` writes into the package (the fields read here). */
interface Manifest {
  tensorflow?: { origin?: string; from?: string; libDir?: string };
}

function readManifest(packageDir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(packageDir, 'raven-native.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/**
 * Asks the binding of `pkg` what TensorFlow runs and reads where it was built from.
 * @internal
 */
export function nativeInfo(pkg: string, binding: NativeBinding): NativeInfo {
  let packageDir: string | undefined;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch {
    packageDir = undefined;
  }
  const manifest = packageDir ? readManifest(packageDir) : undefined;
  const raven = binding.raven;
  const devices = raven ? raven.devices().map((d) => `${d.type} ${d.name}`) : [];
  let library = raven ? raven.libraryPath() : null;
  if (library === null && packageDir && existsSync(join(packageDir, 'deps', 'lib', 'libtensorflow.so.2'))) {
    library = join(packageDir, 'deps', 'lib', 'libtensorflow.so.2');
  }
  const tfInstall = manifest?.tensorflow;
  const installation = tfInstall?.from
    ? tfInstall.origin === 'python' && tfInstall.libDir
      ? `${tfInstall.from} (${tfInstall.libDir})`
      : tfInstall.from
    : library && packageDir && library.startsWith(packageDir)
      ? `libtensorflow downloaded by ${pkg}'s installer (${dirname(library)})`
      : null;
  return {
    tensorflowVersion: binding.TF_Version,
    gpu: binding.isUsingGpuDevice(),
    executionDevice: raven ? raven.executionDevice() : null,
    devices,
    library,
    installation,
    builtBy: manifest ? 'raven-nx-native' : 'tfjs-node',
  };
}
