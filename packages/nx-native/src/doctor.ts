/**
 * `--check`: what the native backend needs, what is there, what is missing and how to get it,
 * and whether the installed backend loads and computes.
 * @module
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkOptions, type OptionKeys } from '@raven/nx/options';
import { checkPlatform, findCompiler, findNodeHeaders, npmVersion } from './build/toolchain.js';
import { verifyBinding } from './build/verify.js';
import { NativeInstallError } from './errors.js';
import { defaultCacheDir } from './paths.js';
import { checkInProject, installedPackage } from './project.js';
import { locateTensorflow } from './tensorflow/locate.js';

/** Options of {@link check}. */
export interface CheckOptions {
  /** A TensorFlow wheel file or `tensorflow/` folder to check (default: Python's TensorFlow). */
  tensorflow?: string;
  /** The Python interpreter to ask. */
  python?: string;
  /** The project to look in (default: the current folder). */
  project?: string;
  /** The C++ compiler to check. */
  cxx?: string;
  /** The folder that has Node's `include/node`. */
  nodedir?: string;
  /** The installer's cache folder. */
  cacheDir?: string;
}

const CHECK_KEYS: OptionKeys<CheckOptions> = { tensorflow: true, python: true, project: true, cxx: true, nodedir: true, cacheDir: true };

/** One thing the doctor looked at. */
export interface Finding {
  /** What: `platform`, `compiler`, `node headers`, `npm`, `tensorflow`, `package`, `binding`, `project`. */
  what: string;
  /** Whether it is fine. */
  ok: boolean;
  /** What was found, or what is missing and how to get it. */
  detail: string;
}

/** The doctor's answer. */
export interface CheckResult {
  /** Whether a working native backend is installed in the project. */
  working: boolean;
  /** Everything looked at, in order. */
  findings: Finding[];
}

async function attempt(what: string, f: () => string | Promise<string>): Promise<Finding> {
  try {
    return { what, ok: true, detail: await f() };
  } catch (e) {
    return { what, ok: false, detail: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Explains what the native backend needs and what is there, without changing anything (a wheel
 * is only unpacked into the cache, as an install would).
 * @example
 * ```ts
 * import { check } from '@raven/nx-native';
 * const r = await check();
 * for (const f of r.findings) console.log(f.ok ? 'ok  ' : 'MISSING', f.what, f.detail);
 * ```
 */
export async function check(options: CheckOptions = {}): Promise<CheckResult> {
  checkOptions('check', options, CHECK_KEYS);
  const project = resolve(options.project ?? '.');
  const findings: Finding[] = [
    await attempt('platform', checkPlatform),
    await attempt('compiler', async () => (await findCompiler(options.cxx)).version),
    await attempt('node headers', () => findNodeHeaders(options.nodedir)),
    await attempt('npm', async () => {
      const v = await npmVersion();
      if (!v) throw new NativeInstallError('npm', 'npm does not run: it installs the tfjs-node package from the registry');
      return `npm ${v}`;
    }),
  ];
  try {
    const tf = await locateTensorflow({ path: options.tensorflow, python: options.python, cacheDir: options.cacheDir ?? defaultCacheDir(), log: () => {} });
    findings.push({
      what: 'tensorflow',
      ok: true,
      detail: `${tf.distribution ?? 'tensorflow'} ${tf.version ?? '(version unknown)'} from ${tf.origin} ${tf.from}: ${tf.libDir}` +
        (tf.cuda ? `, CUDA build (${tf.cudaLibDirs.length} nvidia library folders)` : ', CPU build'),
    });
  } catch (e) {
    findings.push({ what: 'tensorflow', ok: false, detail: (e as Error).message });
  }
  let working = false;
  if (!existsSync(join(project, 'package.json'))) {
    findings.push({ what: 'project', ok: false, detail: `${project} has no package.json` });
    return { working, findings };
  }
  const packages = (['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const).map((n) => installedPackage(project, n)).filter((p) => p !== undefined);
  if (packages.length === 0) {
    findings.push({ what: 'package', ok: false, detail: `neither @tensorflow/tfjs-node nor @tensorflow/tfjs-node-gpu is installed in ${project}: run \`raven-nx-native install\`` });
  }
  for (const pkg of packages) {
    const by = pkg.manifest ? `built by raven-nx-native against ${pkg.manifest.tensorflow.libDir}` : 'not built by raven-nx-native';
    findings.push({ what: 'package', ok: true, detail: `${pkg.name} ${pkg.version} in ${pkg.dir} (${by})` });
    if (!existsSync(pkg.bindingPath)) {
      findings.push({ what: 'binding', ok: false, detail: `${pkg.bindingPath} is missing: run \`raven-nx-native install\`` });
      continue;
    }
    const binding = await attempt('binding', async () => {
      const r = await verifyBinding(pkg.bindingPath);
      return `TensorFlow ${r.tensorflowVersion} from ${r.library ?? '(library path not reported)'}, ops on ${r.gpu ? `GPU (${r.executionDevice})` : 'CPU'}`;
    });
    const loads = await attempt('project', async () => {
      const r = await checkInProject(project, pkg.name);
      return `${pkg.name} loads in ${project}; TF.js backend ${r.backend}; one tfjs-core (${r.tfjsCore.package})`;
    });
    findings.push(binding, loads);
    working ||= binding.ok && loads.ok;
  }
  return { working, findings };
}
