/**
 * The user's project: the tfjs-node package in its node_modules, the binding inside it, the
 * manifest the installer leaves there (`raven-native.json`), and a snapshot of node_modules so
 * that a failed install puts everything back.
 * @module
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { runChild } from './child.js';
import { NativeInstallError } from './errors.js';
import { findPackageDir } from './resolve.js';
import { TFJS_NODE_VERSION, type TfjsPackage } from './build/sources.js';
import { NAPI_VERSION } from './build/toolchain.js';
import { quietTensorflowEnv, type BindingReport } from './build/verify.js';
import type { TensorflowInstall } from './tensorflow/install.js';

/** The file the installer writes into the tfjs-node package folder. */
export const MANIFEST_FILE = 'raven-native.json';

/** What `raven-native.json` records: which TensorFlow the binding was built against, and how. */
export interface NativeManifest {
  /** Always `@raven/nx-native`. */
  installer: '@raven/nx-native';
  /** The package the binding was put into. */
  package: TfjsPackage;
  /** Its version. */
  packageVersion: string;
  /** The TensorFlow installation used. */
  tensorflow: TensorflowInstall;
  /** The build: key, compiler, extra source folders, the binding's path. */
  build: { key: string; compiler: string; extraSources: string[]; binding: string };
  /** What the binding reported when it was checked. */
  report: BindingReport;
  /** When it was installed (ISO 8601). */
  installedAt: string;
}

/** An installed tfjs-node package. */
export interface InstalledPackage {
  /** Package name. */
  name: TfjsPackage;
  /** Its folder. */
  dir: string;
  /** Its version. */
  version: string;
  /** Where node-pre-gyp (as tfjs-node does) looks for the binding. */
  bindingPath: string;
  /** The installer's manifest, when this installer built the binding. */
  manifest: NativeManifest | undefined;
}

/** Reads the project's installed `name`, or `undefined`. @internal */
export function installedPackage(projectDir: string, name: TfjsPackage): InstalledPackage | undefined {
  const dir = findPackageDir(projectDir, name);
  if (dir === undefined) return undefined;
  const pkgJson = join(dir, 'package.json');
  const version = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }).version;
  let bindingPath = join(dir, 'lib', `napi-v${NAPI_VERSION}`, 'tfjs_binding.node');
  try {
    const preGyp = createRequire(pkgJson)('@mapbox/node-pre-gyp') as { find: (p: string) => string };
    bindingPath = preGyp.find(pkgJson);
  } catch {
    // its dependencies are not installed: the default layout
  }
  let manifest: NativeManifest | undefined;
  try {
    manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as NativeManifest;
  } catch {
    manifest = undefined;
  }
  return { name, dir, version, bindingPath, manifest };
}

/** The names directly under node_modules, and inside its scope folders and `.bin` (as `@scope/name`). */
function listTopLevel(modules: string): Set<string> {
  const names = new Set<string>();
  if (!existsSync(modules)) return names;
  for (const e of readdirSync(modules)) {
    names.add(e);
    if (e.startsWith('@') || e === '.bin') {
      for (const s of readdirSync(join(modules, e))) names.add(`${e}/${s}`);
    }
  }
  return names;
}

/** What node_modules looked like before npm ran: its entries and npm's hidden lockfile. */
export interface ModulesSnapshot {
  modules: string;
  names: Set<string>;
  hiddenLock: string | undefined;
}

/** Records node_modules' top-level entries and hidden lockfile. @internal */
export function snapshotModules(projectDir: string): ModulesSnapshot {
  const modules = join(projectDir, 'node_modules');
  const lock = join(modules, '.package-lock.json');
  return { modules, names: listTopLevel(modules), hiddenLock: existsSync(lock) ? readFileSync(lock, 'utf8') : undefined };
}

/** Removes what npm added since `snap` and restores the hidden lockfile. @internal */
export function restoreModules(snap: ModulesSnapshot): void {
  for (const name of listTopLevel(snap.modules)) {
    if (!snap.names.has(name)) rmSync(join(snap.modules, name), { recursive: true, force: true });
  }
  const lock = join(snap.modules, '.package-lock.json');
  if (snap.hiddenLock !== undefined) writeFileSync(lock, snap.hiddenLock);
  else rmSync(lock, { force: true });
}

/**
 * `npm install --no-save --ignore-scripts name@4.22.0` in the project: the package and its
 * JavaScript dependencies, sharing the project's tfjs-core, without tfjs-node's download script
 * and without touching package.json or package-lock.json.
 * @throws NativeInstallError `npm`.
 * @internal
 */
export async function npmInstall(projectDir: string, name: TfjsPackage, log: (line: string) => void): Promise<void> {
  const args = ['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', `${name}@${TFJS_NODE_VERSION}`];
  log(`npm ${args.join(' ')}`);
  const r = await runChild('npm', args, { cwd: projectDir });
  if (r.error && r.status === null) throw new NativeInstallError('npm', `npm does not run: ${r.error.message}`, { cause: r.error });
  if (r.status !== 0) {
    throw new NativeInstallError('npm', `npm ${args.join(' ')} failed (${r.signal ?? `exit ${r.status}`}):\n${(r.stdout + r.stderr).trim().slice(-3000)}`);
  }
}

/** Writes `data` to `path` through a temporary file and a rename. */
function writeAtomic(path: string, data: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** What was in the package before placing, to put back. */
export interface Placed {
  restore(): void;
}

/**
 * Puts the binding and the manifest into the package (each by a rename, so a reader never sees
 * half a file) and returns how to undo it.
 * @internal
 */
export function placeBinding(pkg: InstalledPackage, built: string, manifest: NativeManifest): Placed {
  const manifestPath = join(pkg.dir, MANIFEST_FILE);
  const before = {
    binding: existsSync(pkg.bindingPath) ? readFileSync(pkg.bindingPath) : undefined,
    manifest: existsSync(manifestPath) ? readFileSync(manifestPath) : undefined,
  };
  mkdirSync(dirname(pkg.bindingPath), { recursive: true });
  const tmp = `${pkg.bindingPath}.tmp-${process.pid}`;
  copyFileSync(built, tmp);
  renameSync(tmp, pkg.bindingPath);
  writeAtomic(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  return {
    restore() {
      if (before.binding) writeAtomic(pkg.bindingPath, before.binding);
      else rmSync(pkg.bindingPath, { force: true });
      if (before.manifest) writeAtomic(manifestPath, before.manifest);
      else rmSync(manifestPath, { force: true });
    },
  };
}

/** What loading the package in the project gives. */
export interface ProjectReport {
  /** `tf.getBackend()` after loading tfjs-node. */
  backend: string;
  /** Where tfjs-core resolves from the project, for the package (through its `@tensorflow/tfjs`), and from `@raven/nx` when present. */
  tfjsCore: { project: string | null; package: string | null; nx: string | null };
}

const PROJECT_SCRIPT = `
const { createRequire } = require('module');
const fs = require('fs');
const path = require('path');
const name = process.argv[1];
const fromProject = createRequire(path.join(process.cwd(), 'package.json'));
const dirFrom = (dir, n) => (createRequire(path.join(dir, 'package.json')).resolve.paths(n) || []).map((p) => path.join(p, n)).find((d) => fs.existsSync(path.join(d, 'package.json')));
const coreFrom = (dir) => { try { return fs.realpathSync(createRequire(path.join(dir, 'package.json')).resolve('@tensorflow/tfjs-core')); } catch { return null; } };
const tf = fromProject(name);
const sum = tf.add(tf.tensor1d([1, 2]), tf.tensor1d([1, 2])).dataSync();
if (sum[0] !== 2 || sum[1] !== 4) throw new Error('tf.add([1, 2], [1, 2]) gave ' + Array.from(sum));
// tfjs-node registers its backend with the tfjs-core of the @tensorflow/tfjs it depends on
const tfjs = dirFrom(dirFrom(process.cwd(), name), '@tensorflow/tfjs');
const nx = dirFrom(process.cwd(), '@raven/nx');
process.stdout.write('\\n' + JSON.stringify({
  backend: tf.getBackend(),
  tfjsCore: { project: coreFrom(process.cwd()), package: tfjs ? coreFrom(tfjs) : null, nx: nx ? coreFrom(nx) : null },
}) + '\\n');
`;

/**
 * Loads the package as the project would (`require(name)` from the project folder), runs one
 * op, and checks that the project, the package and `@raven/nx` share one tfjs-core (otherwise
 * nx cannot see the backend).
 * @throws NativeInstallError `check`.
 * @internal
 */
export async function checkInProject(projectDir: string, name: TfjsPackage): Promise<ProjectReport> {
  const r = await runChild(process.execPath, ['-e', PROJECT_SCRIPT, name], { cwd: projectDir, timeoutMs: 300_000, env: quietTensorflowEnv() });
  const line = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || !line) {
    const why = (r.stderr || String(r.error ?? '')).trim().split('\n').slice(-20).join('\n');
    throw new NativeInstallError('check', `${name} does not load in ${projectDir} (${r.signal ?? `exit ${r.status}`}):\n${why}`);
  }
  const report = JSON.parse(line) as ProjectReport;
  if (report.backend !== 'tensorflow') throw new NativeInstallError('check', `${name} loaded but the active TF.js backend is ${report.backend}, not tensorflow`);
  const cores = [report.tfjsCore.package, report.tfjsCore.project, report.tfjsCore.nx].filter((x): x is string => x !== null);
  if (new Set(cores).size > 1) {
    throw new NativeInstallError(
      'check',
      `two copies of @tensorflow/tfjs-core (${[...new Set(cores)].join(' and ')}): @raven/nx would not see the tensorflow backend; ` +
        `use @tensorflow/tfjs-core ${TFJS_NODE_VERSION} in the project (the version @raven/nx and ${name} ${TFJS_NODE_VERSION} use)`,
    );
  }
  return report;
}
