/**
 * `install`: from a TensorFlow installation to a working `@tensorflow/tfjs-node(-gpu)` in the
 * project. Everything that can fail (finding TensorFlow, fetching and editing the sources,
 * compiling, loading the result and running an op) happens in a temporary folder first; only a
 * checked binding reaches node_modules, and if the final check in the project fails, node_modules
 * is put back as it was.
 * @module
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkOptions, type OptionKeys } from '@raven/nx/options';
import { buildKey, compileBinding, type BuildPlan } from './build/compile.js';
import { EXTRA_SOURCES_DIR, obtainTfjsBinding, prepareSources, TFJS_NODE_VERSION, type TfjsPackage } from './build/sources.js';
import { checkPlatform, findCompiler, findNodeHeaders } from './build/toolchain.js';
import { verifyBinding, type BindingReport } from './build/verify.js';
import { NativeInstallError } from './errors.js';
import { defaultCacheDir } from './paths.js';
import {
  checkInProject,
  installedPackage,
  npmInstall,
  placeBinding,
  restoreModules,
  snapshotModules,
  type NativeManifest,
  type ProjectReport,
} from './project.js';
import { locateTensorflow } from './tensorflow/locate.js';
import type { TensorflowInstall } from './tensorflow/install.js';

/** Options of {@link install}. */
export interface InstallOptions {
  /** A TensorFlow wheel file or `tensorflow/` folder; default: the TensorFlow of Python. */
  tensorflow?: string;
  /** The Python interpreter to ask (default `$RAVEN_PYTHON`, then `python3`, `python`). */
  python?: string;
  /** The project whose node_modules receives the package (default: the current folder). */
  project?: string;
  /** `gpu` installs `@tensorflow/tfjs-node-gpu`, `cpu` `@tensorflow/tfjs-node`; default: `gpu` for a CUDA build of TensorFlow. */
  device?: 'cpu' | 'gpu';
  /** The C++ compiler (default `$CXX`, then `g++`, `c++`, `clang++`). */
  cxx?: string;
  /** The folder that has Node's `include/node` (as npm's `nodedir`). */
  nodedir?: string;
  /** Rebuild even when the installed binding is up to date. */
  force?: boolean;
  /** Where wheels are unpacked and builds kept (default `$RAVEN_CACHE_ROOT/nx-native`, ...). */
  cacheDir?: string;
  /** More folders of C++ sources compiled into the binding, after this package's `binding/`. */
  extraSources?: string[];
  /** Receives progress lines (default: none). */
  log?: (line: string) => void;
}

const INSTALL_KEYS: OptionKeys<InstallOptions> = {
  tensorflow: true,
  python: true,
  project: true,
  device: true,
  cxx: true,
  nodedir: true,
  force: true,
  cacheDir: true,
  extraSources: true,
  log: true,
};

/** What {@link install} did. */
export interface InstallResult {
  /** `installed` (built or taken from the cache, and placed) or `unchanged` (already up to date). */
  status: 'installed' | 'unchanged';
  /** The package that now carries the binding. */
  package: TfjsPackage;
  /** Its folder. */
  packageDir: string;
  /** The binding file. */
  binding: string;
  /** The TensorFlow installation used. */
  tensorflow: TensorflowInstall;
  /** What the binding reports about TensorFlow (version, GPU, devices, library). */
  report: BindingReport;
  /** How the project loads it. */
  project: ProjectReport;
  /** Seconds the whole install took. */
  seconds: number;
}

/** Removes `dir` when the process is interrupted, and when `f` ends. */
async function withWorkDir<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'raven-nx-native-'));
  const onSignal = (signal: NodeJS.Signals): void => {
    rmSync(dir, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await f(dir);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A binding from the build cache (`<cacheDir>/bindings/<key>`), with its report, if present. */
function cachedBuild(cacheDir: string, key: string): { binding: string; report: BindingReport } | undefined {
  const dir = join(cacheDir, 'bindings', key);
  try {
    return { binding: join(dir, 'tfjs_binding.node'), report: JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as BindingReport };
  } catch {
    return undefined;
  }
}

/** Stores a checked build in the cache (a folder renamed into place when complete). */
function storeBuild(cacheDir: string, key: string, binding: string, report: BindingReport): string {
  const dir = join(cacheDir, 'bindings', key);
  const partial = `${dir}.partial-${process.pid}`;
  mkdirSync(partial, { recursive: true });
  copyFileSync(binding, join(partial, 'tfjs_binding.node'));
  writeFileSync(join(partial, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  try {
    renameSync(partial, dir);
  } catch (e) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(join(dir, 'report.json'))) throw e;
  }
  return join(dir, 'tfjs_binding.node');
}

/**
 * Installs the native TensorFlow backend into a project: finds TensorFlow, builds tfjs-node's
 * binding (plus this package's C++ extensions) against it, checks it, installs the tfjs-node
 * package from the npm registry without its download script, and puts the binding in. Running
 * it again when nothing changed only re-checks.
 * @example
 * ```ts
 * import { install } from '@raven/nx-native';
 * const r = await install({ tensorflow: 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl' });
 * console.log(r.report.tensorflowVersion, r.report.gpu);
 * ```
 * @throws NativeInstallError saying what was missing or failed; node_modules is then as it was.
 */
export async function install(options: InstallOptions = {}): Promise<InstallResult> {
  checkOptions('install', options, INSTALL_KEYS);
  const t0 = performance.now();
  const log = options.log ?? (() => {});
  checkPlatform();
  const project = resolve(options.project ?? '.');
  if (!existsSync(join(project, 'package.json'))) {
    throw new NativeInstallError('project', `${project} has no package.json: run the installer in your project's folder, or pass --project DIR`);
  }
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const tensorflow = await locateTensorflow({ path: options.tensorflow, python: options.python, cacheDir, log });
  const device = options.device ?? (tensorflow.cuda ? 'gpu' : 'cpu');
  const pkgName: TfjsPackage = device === 'gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  if (device === 'gpu' && !tensorflow.cuda) log(`warning: ${tensorflow.from} is not a CUDA build of TensorFlow; ${pkgName} will run on the CPU`);
  if (tensorflow.cuda && tensorflow.cudaLibDirs.length === 0) {
    log('warning: a CUDA build of TensorFlow without the nvidia-* pip packages beside it: TensorFlow will look for CUDA 12 on the system library path');
  }
  const compiler = await findCompiler(options.cxx);
  const nodeInclude = findNodeHeaders(options.nodedir);

  return withWorkDir(async (work) => {
    const tfjsBinding = await obtainTfjsBinding(project, pkgName, work, log);
    const buildDir = join(work, 'build');
    const extraDirs = [EXTRA_SOURCES_DIR, ...(options.extraSources ?? []).map((d) => resolve(d))];
    const sources = prepareSources(tfjsBinding, extraDirs, buildDir);
    const plan: BuildPlan = { compiler, nodeInclude, tensorflow, buildDir, sources };
    const key = buildKey(plan);

    const result = async (status: InstallResult['status'], packageDir: string, binding: string, report: BindingReport): Promise<InstallResult> => ({
      status,
      package: pkgName,
      packageDir,
      binding,
      tensorflow,
      report,
      project: await checkInProject(project, pkgName),
      seconds: (performance.now() - t0) / 1000,
    });
    const current = installedPackage(project, pkgName);
    if (!options.force && current?.version === TFJS_NODE_VERSION && current.manifest?.build.key === key && existsSync(current.bindingPath)) {
      log(`${pkgName} in ${current.dir} is up to date (built against ${current.manifest.tensorflow.libDir}); checking it`);
      return await result('unchanged', current.dir, current.bindingPath, current.manifest.report);
    }

    let built = options.force ? undefined : cachedBuild(cacheDir, key);
    if (built) log(`using the binding built before (${built.binding})`);
    else {
      const output = join(work, 'tfjs_binding.node');
      await compileBinding(plan, output, log);
      log('loading the binding and running one op');
      const report = await verifyBinding(output);
      built = { binding: storeBuild(cacheDir, key, output, report), report };
    }
    log(`TensorFlow ${built.report.tensorflowVersion} (${built.report.library ?? tensorflow.libDir}), ops on ${built.report.gpu ? 'GPU' : 'CPU'}`);

    const snapshot = snapshotModules(project);
    let placed: { restore(): void } | undefined;
    try {
      if (current?.version !== TFJS_NODE_VERSION) await npmInstall(project, pkgName, log);
      const pkg = installedPackage(project, pkgName);
      if (!pkg) throw new NativeInstallError('npm', `npm reported success but ${pkgName} is not in ${project}/node_modules`);
      const manifest: NativeManifest = {
        installer: '@raven/nx-native',
        package: pkgName,
        packageVersion: pkg.version,
        tensorflow,
        build: { key, compiler: compiler.version, extraSources: extraDirs, binding: pkg.bindingPath },
        report: built.report,
        installedAt: new Date().toISOString(),
      };
      placed = placeBinding(pkg, built.binding, manifest);
      log(`checking ${pkgName} in ${project}`);
      return await result('installed', pkg.dir, pkg.bindingPath, built.report);
    } catch (e) {
      placed?.restore();
      restoreModules(snapshot);
      throw e;
    }
  });
}
