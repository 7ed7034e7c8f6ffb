/**
 * Compiles and links the binding: each source to an object file (in parallel), then one shared
 * object linked to TensorFlow's libraries where they are. The addon's run path points at the
 * real TensorFlow folder (and, for CUDA builds, the `nvidia-*` library folders), not at links
 * next to the addon: TensorFlow's CUDA libraries find cuDNN, cuBLAS, ... through `$ORIGIN`-relative
 * run paths, which only resolve from the folder pip installed them in.
 * @module
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { runChild } from '../child.js';
import { NativeInstallError } from '../errors.js';
import { TENSORFLOW_LIBRARIES, type TensorflowInstall } from '../tensorflow/install.js';
import { NAPI_VERSION, type Compiler } from './toolchain.js';

/** Everything one build depends on. */
export interface BuildPlan {
  /** The compiler. */
  compiler: Compiler;
  /** The folder with `node_api.h`. */
  nodeInclude: string;
  /** The TensorFlow to link. */
  tensorflow: TensorflowInstall;
  /** The folder with the (edited) sources. */
  buildDir: string;
  /** The `.cc` files in `buildDir`. */
  sources: string[];
}

const COMPILE_FLAGS = ['-std=c++17', '-O2', '-fPIC', `-DNAPI_VERSION=${NAPI_VERSION}`];

/** The run path of the addon: TensorFlow's folder, then the CUDA library folders. */
function runPath(plan: BuildPlan): string[] {
  return [realpathSync(plan.tensorflow.libDir), ...plan.tensorflow.cudaLibDirs.map((d) => realpathSync(d))];
}

/**
 * A key for the build: changes whenever a source or header, the flags, the compiler, the TensorFlow
 * libraries (path, size, time) or the run path change. Equal keys mean an equal binding.
 * @internal
 */
export function buildKey(plan: BuildPlan): string {
  const h = createHash('sha256');
  const add = (s: string): void => void h.update(s + '\0');
  for (const f of plan.sources) add(f);
  // every header of the build folder too (tfjs-node's, this package's, extra sources'): a change
  // to any of them must rebuild
  const headers = readdirSync(plan.buildDir).filter((f) => /\.(h|hpp)$/.test(f)).sort();
  for (const f of plan.sources.concat(headers)) {
    try {
      h.update(readFileSync(join(plan.buildDir, f)));
    } catch {
      add('-');
    }
  }
  add(COMPILE_FLAGS.join(' '));
  add(plan.compiler.version);
  for (const lib of TENSORFLOW_LIBRARIES) {
    const p = join(plan.tensorflow.libDir, lib);
    const st = statSync(p);
    add(`${realpathSync(p)}:${st.size}:${st.mtimeMs}`);
  }
  add(runPath(plan).join(':'));
  return h.digest('hex').slice(0, 24);
}

/** Runs a command; resolves with its output, rejects with a `compile` error carrying the output's tail. */
async function run(command: string[], cwd: string, what: string, signal?: AbortSignal): Promise<string> {
  const r = await runChild(command[0]!, command.slice(1), { cwd, ...(signal ? { signal } : {}) });
  const out = r.stdout + r.stderr;
  if (r.status === 0) return out;
  if (r.status === null && r.error && r.error.name !== 'AbortError') {
    throw new NativeInstallError('compile', `${what}: ${r.error.message}`, { cause: r.error });
  }
  const tail = out.trim().split('\n').slice(-40).join('\n');
  throw new NativeInstallError('compile', `${what} failed (${r.signal ?? `exit ${r.status}`}):\n${command.join(' ')}\n${tail}`);
}

/**
 * Compiles `plan.sources` and links `output`.
 * @throws NativeInstallError `compile` with the compiler's messages.
 * @internal
 */
export async function compileBinding(plan: BuildPlan, output: string, log: (line: string) => void): Promise<void> {
  const includes = ['-I', plan.buildDir, '-I', plan.nodeInclude, '-I', plan.tensorflow.includeDir];
  const objects = plan.sources.map((s) => join(plan.buildDir, s.replace(/\.(cc|cpp)$/, '.o')));
  const jobs = Math.max(1, Math.min(availableParallelism(), plan.sources.length));
  log(`compiling ${plan.sources.length} C++ files with ${plan.compiler.version} (${jobs} at a time)`);
  const queue = plan.sources.map((s, i) => ({ source: s, object: objects[i]! }));
  // the first failure stops the other compilers
  const stop = new AbortController();
  const worker = async (): Promise<void> => {
    for (let item = queue.shift(); item && !stop.signal.aborted; item = queue.shift()) {
      await run([...plan.compiler.command, ...COMPILE_FLAGS, ...includes, '-c', item.source, '-o', item.object], plan.buildDir, `compiling ${item.source}`, stop.signal);
    }
  };
  const results = await Promise.allSettled(Array.from({ length: jobs }, () => worker().catch((e: unknown) => {
    stop.abort();
    throw e;
  })));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof NativeInstallError && /\(SIGTERM\)/.test(r.reason.message)));
  const first = failed ?? results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (first) throw first.reason;
  const rpath = runPath(plan);
  log(`linking against ${plan.tensorflow.libDir}`);
  await run(
    [
      ...plan.compiler.command,
      '-shared',
      '-o',
      output,
      ...objects,
      '-L',
      plan.tensorflow.libDir,
      ...TENSORFLOW_LIBRARIES.map((l) => `-l:${l}`),
      ...rpath.map((d) => `-Wl,-rpath,${d}`),
      '-Wl,--enable-new-dtags',
    ],
    plan.buildDir,
    'linking the binding',
  );
}
