/**
 * Backend selection: which TensorFlow.js backend runs nx's kernels.
 *
 * At start-up nx tries, in order, `tensorflow` (native libtensorflow through the optional peer
 * `@tensorflow/tfjs-node-gpu`, which brings CUDA, else `@tensorflow/tfjs-node`), `wasm` (embedded,
 * SIMD, single-threaded) and `cpu` (pure JavaScript). `NX_BACKEND=tensorflow|wasm|cpu` forces one.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradient functions tfjs-core lacks on its own
import '@tensorflow/tfjs-backend-cpu';
import { BackendError } from '../errors.js';
import { registerCpuKernels } from './kernels/cpu-kernels.js';
import { nativeBinding, nativeInfo, type NativeInfo } from './native.js';
import { registerTensorflowKernels } from './tensorflow-kernels.js';
import { registerWasmKernels } from './wasm-kernels.js';

/** A backend nx can run on. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export type { NativeInfo } from './native.js';

/** What runs: the backend, the device it computes on, the package that provides it and its version. */
export interface BackendInfo {
  /** The TF.js backend name. */
  backend: BackendName;
  /**
   * `cuda` (TensorFlow runs ops on a GPU), `cpu (libtensorflow)`, `cpu (wasm simd)`, `cpu (wasm)`
   * or `cpu (javascript)`.
   */
  device: string;
  /** The npm package that provides the backend. */
  package: string;
  /** TF.js version. */
  version: string;
  /** Whether the backend was forced with `NX_BACKEND` or {@link useBackend}. */
  forced: boolean;
  /**
   * On `tensorflow` only: the TensorFlow actually loaded (version, GPU, devices, library file)
   * as the binding reports it, and the installation it was built from.
   */
  tensorflow?: NativeInfo;
}

let current: BackendInfo | undefined;

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

async function loadTensorflow(): Promise<{ pkg: string } | { error: unknown }> {
  // TensorFlow's informational log lines (CPU features, ...) off unless asked for; warnings stay.
  process.env['TF_CPP_MIN_LOG_LEVEL'] ??= '1';
  let lastError: unknown;
  for (const pkg of NATIVE_PACKAGES) {
    try {
      await import(pkg);
      if (tf.findBackend('tensorflow') === null && tf.findBackendFactory('tensorflow') === null) continue;
      return { pkg };
    } catch (e) {
      lastError = e;
    }
  }
  return { error: lastError };
}

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

/**
 * Runs `f` and removes the `uncaughtException`/`unhandledRejection` listeners it installed. The
 * Emscripten glue of the wasm backend installs handlers that rethrow any uncaught error of the
 * whole program wrapped in its own, printing tens of kilobytes of minified source and exiting
 * with code 7; a library must leave the host program's error handling alone.
 */
async function withoutProcessHandlers(f: () => Promise<void>): Promise<void> {
  type Listener = (...args: unknown[]) => void;
  const listeners = (e: (typeof PROCESS_EVENTS)[number]): Listener[] => process.listeners(e as 'uncaughtException') as unknown as Listener[];
  const before = new Map(PROCESS_EVENTS.map((e) => [e, new Set(listeners(e))] as const));
  try {
    await f();
  } finally {
    for (const e of PROCESS_EVENTS) {
      for (const l of listeners(e)) if (!before.get(e)!.has(l)) process.removeListener(e, l);
    }
  }
}

async function loadWasm(): Promise<void> {
  // The threaded build's worker is a blob: URL that Node refuses; the single-threaded SIMD build works.
  await withoutProcessHandlers(async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") returned false');
  });
  registerWasmKernels();
}

async function activate(name: BackendName, forced: boolean): Promise<BackendInfo> {
  if (name === 'tensorflow') {
    const r = await loadTensorflow();
    if ('error' in r) {
      throw new BackendError(
        'nx: backend "tensorflow" cannot be loaded: build it against your TensorFlow with ' +
          '`npx raven-nx-native install` (package @raven/nx-native; `--check` says what is missing)' +
          (forced && process.env['NX_BACKEND'] ? ', or unset NX_BACKEND' : ', or choose wasm or cpu'),
        { cause: r.error },
      );
    }
    if (!(await tf.setBackend('tensorflow'))) throw new BackendError('nx: backend "tensorflow" failed to initialise');
    const binding = nativeBinding();
    registerTensorflowKernels(binding);
    if (!binding) throw new BackendError(`nx: ${r.pkg} registered a "tensorflow" backend without its native binding`);
    const native = nativeInfo(r.pkg, binding);
    return {
      backend: 'tensorflow',
      device: native.gpu ? 'cuda' : 'cpu (libtensorflow)',
      package: r.pkg,
      version: tf.version_core,
      forced,
      tensorflow: native,
    };
  }
  if (name === 'wasm') {
    try {
      await loadWasm();
    } catch (e) {
      throw new BackendError('nx: backend "wasm" cannot be loaded (package @tensorflow/tfjs-backend-wasm): ' + String(e), { cause: e });
    }
    const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    return { backend: 'wasm', device: simd ? 'cpu (wasm simd)' : 'cpu (wasm)', package: '@tensorflow/tfjs-backend-wasm', version: tf.version_core, forced };
  }
  registerCpuKernels();
  if (!(await tf.setBackend('cpu'))) throw new BackendError('nx: backend "cpu" failed to initialise');
  return { backend: 'cpu', device: 'cpu (javascript)', package: '@tensorflow/tfjs-backend-cpu', version: tf.version_core, forced };
}

function parseBackendName(value: string, where: string): BackendName {
  const v = value.trim().toLowerCase();
  if (v === 'tensorflow' || v === 'wasm' || v === 'cpu') return v;
  if (v === 'node' || v === 'native' || v === 'cuda' || v === 'gpu') return 'tensorflow';
  throw new BackendError(`nx: ${where}="${value}" is not a backend; use tensorflow, wasm or cpu`);
}

/**
 * Chooses the backend at start-up: `NX_BACKEND` when set (an error if it cannot load), else the
 * first of tensorflow, wasm, cpu that loads. Called once when `@raven/nx` is imported.
 * @internal
 */
export async function initBackend(): Promise<BackendInfo> {
  if (current) return current;
  tf.env().set('PROD', true); // no NaN checks per op, no debug logging
  const forcedName = process.env['NX_BACKEND'];
  if (forcedName !== undefined && forcedName !== '') {
    current = await activate(parseBackendName(forcedName, 'NX_BACKEND'), true);
    return current;
  }
  for (const name of ['tensorflow', 'wasm'] as const) {
    try {
      current = await activate(name, false);
      return current;
    } catch {
      // fall through to the next backend
    }
  }
  current = await activate('cpu', false);
  return current;
}

/**
 * Reports what runs: backend, device, providing package and version.
 * @example
 * ```ts
 * import * as nx from '@raven/nx';
 * console.log(nx.backendInfo()); // { backend: 'wasm', device: 'cpu (wasm simd)', ... }
 * ```
 */
export function backendInfo(): BackendInfo {
  if (!current) throw new BackendError('nx: no backend initialised yet');
  return copyInfo(current);
}

function copyInfo(info: BackendInfo): BackendInfo {
  return info.tensorflow ? { ...info, tensorflow: { ...info.tensorflow, devices: [...info.tensorflow.devices] } } : { ...info };
}

/**
 * Switches to another backend at run time. Tensors created on the old backend move lazily.
 * @param name - `tensorflow`, `wasm` or `cpu`.
 * @returns what now runs.
 * @throws {@link BackendError} if the backend cannot load; the message names the package to install.
 */
export async function useBackend(name: BackendName): Promise<BackendInfo> {
  current = await activate(parseBackendName(name, 'useBackend'), true);
  return copyInfo(current);
}
