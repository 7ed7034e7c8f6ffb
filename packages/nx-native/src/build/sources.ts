/**
 * The binding's C++ sources: tfjs-node's own `binding/` folder (from the installed package, or
 * from the npm registry's tarball), plus every file of this package's `binding/` folder, with
 * the two edits that let those files reach tfjs-node's backend object (see
 * `binding/raven_hook.h`).
 * @module
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild } from '../child.js';
import { NativeInstallError } from '../errors.js';
import { findPackageDir } from '../resolve.js';

/** The tfjs-node version whose binding the installer builds (the one `@raven/nx`'s tfjs-core matches). */
export const TFJS_NODE_VERSION = '4.22.0';

/** The npm package that carries the binding: CUDA builds of TensorFlow get the `-gpu` one. */
export type TfjsPackage = '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';

/** This package's folder of extra C++ sources compiled into the binding. */
export const EXTRA_SOURCES_DIR = fileURLToPath(new URL('../../binding/', import.meta.url));

/** One checked textual edit of a tfjs-node source file. */
interface Edit {
  file: string;
  anchor: string;
  replacement: string;
}

/** Marks a line the installer added. */
const ADDED = '// added by @raven/nx-native';

/** Wraps one statement of tfjs-node's in a scope that blocks asynchronous signals (`raven_signals.h`). */
function guarded(statement: string): string {
  return `  {\n    raven::AsyncSignalsBlocked blocked;  ${ADDED}: no signal may land inside a TensorFlow kernel\n  ${statement.replace(/\n(?!$)/g, '\n  ')}  }\n`;
}

/** The TensorFlow calls of tfjs-node's backend that run kernels or start TensorFlow's threads. */
const GUARDED_CALLS: readonly string[] = [
  '  tfe_context_ = TFE_NewContext(tfe_options, tf_status.status);\n',
  '  TFE_Execute(tfe_op.op, result_handles.data(), &size, tf_status.status);\n',
  '  TF_SessionRun(savedmodel_entry->second.first, nullptr, inputs.data(),\n' +
    '                input_values.data(), num_input_ids, outputs.data(),\n' +
    '                output_values.data(), output_op_name_array.size(), nullptr, 0,\n' +
    '                nullptr, tf_status.status);\n',
];

/** tfjs-node's loading of a SavedModel into a session (a declaration, so guarded apart). */
const SESSION_LOAD =
  '  TF_Session *session = TF_LoadSessionFromSavedModel(\n' +
  '      session_options, run_options, export_dir, tags_ptrs.data(),\n' +
  '      tags_ptrs.size(), graph, metagraph, tf_status.status);\n';

/**
 * The edits: a friend declaration for the hook, the hook's include, and its call at the end of
 * init; and the signal guard around every TensorFlow call of tfjs-node's that runs kernels
 * (see `binding/raven_signals.h`: TensorFlow 2.21's oneDNN matrix products corrupt the heap when
 * a signal lands on their thread).
 */
const EDITS: readonly Edit[] = [
  {
    file: 'tfjs_backend.cc',
    anchor: '#include "tfjs_backend.h"\n',
    replacement: `#include "tfjs_backend.h"\n#include "raven_signals.h"  ${ADDED}\n`,
  },
  ...GUARDED_CALLS.map((call) => ({ file: 'tfjs_backend.cc', anchor: call, replacement: guarded(call) })),
  {
    // a session starts its own thread pool, which must inherit the mask too
    file: 'tfjs_backend.cc',
    anchor: SESSION_LOAD,
    replacement: `  TF_Session *session = nullptr;\n${guarded(SESSION_LOAD.replace('TF_Session *session =', 'session ='))}`,
  },
  {
    file: 'tfjs_backend.h',
    anchor: 'class TFJSBackend {\n public:\n',
    replacement: `class TFJSBackend {\n  friend struct RavenBackendAccess;  ${ADDED}\n\n public:\n`,
  },
  {
    file: 'tfjs_binding.cc',
    anchor: '#include "tfjs_backend.h"\n',
    replacement: `#include "tfjs_backend.h"\n#include "raven_hook.h"  ${ADDED}\n`,
  },
  {
    file: 'tfjs_binding.cc',
    anchor: '#undef EXPORT_INT_PROPERTY\n\n  return exports;\n',
    replacement: `#undef EXPORT_INT_PROPERTY\n\n  raven::DefineExtensions(env, exports);  ${ADDED}\n  return exports;\n`,
  },
];

/**
 * The installed package's `binding/` folder when `projectDir` has `pkg` at the supported version,
 * else the one of the registry's tarball, unpacked into `workDir` (`npm pack`).
 * @throws NativeInstallError `npm` when the tarball cannot be fetched.
 * @internal
 */
export async function obtainTfjsBinding(projectDir: string, pkg: TfjsPackage, workDir: string, log: (line: string) => void): Promise<string> {
  const installed = findPackageDir(projectDir, pkg);
  if (installed !== undefined) {
    const version = (JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { version: string }).version;
    const dir = join(installed, 'binding');
    if (version === TFJS_NODE_VERSION && existsSync(join(dir, 'tfjs_binding.cc'))) return dir;
  }
  log(`fetching ${pkg}@${TFJS_NODE_VERSION}'s binding sources from the npm registry`);
  const pack = await runChild('npm', ['pack', `${pkg}@${TFJS_NODE_VERSION}`, '--pack-destination', workDir, '--silent'], { cwd: workDir, timeoutMs: 300_000 });
  const tgz = pack.stdout?.trim().split('\n').pop();
  if (pack.error || pack.status !== 0 || !tgz) {
    throw new NativeInstallError('npm', `\`npm pack ${pkg}@${TFJS_NODE_VERSION}\` failed: ${(pack.stderr || String(pack.error)).trim().slice(-2000)}`);
  }
  const untar = await runChild('tar', ['-xzf', join(workDir, tgz), '-C', workDir, 'package/binding']);
  if (untar.status !== 0) throw new NativeInstallError('npm', `unpacking ${tgz} failed: ${untar.stderr}`);
  return join(workDir, 'package', 'binding');
}

/**
 * Copies tfjs-node's binding sources and the extra sources into `buildDir` (one flat folder),
 * applies the hook's edits, and returns the `.cc` files to compile.
 * @throws NativeInstallError `sources` when an edit's anchor is not found exactly once (another
 * tfjs-node version) or an extra file would replace one of tfjs-node's.
 * @internal
 */
export function prepareSources(tfjsBindingDir: string, extraDirs: readonly string[], buildDir: string): string[] {
  mkdirSync(buildDir, { recursive: true });
  const origin = new Map<string, string>();
  const copyFrom = (dir: string): void => {
    for (const f of readdirSync(dir).filter((x) => /\.(cc|cpp|h|hpp)$/.test(x))) {
      const previous = origin.get(f);
      if (previous !== undefined) {
        throw new NativeInstallError('sources', `${join(dir, f)} has the same name as ${join(previous, f)}; rename it (the binding's sources share one folder)`);
      }
      origin.set(f, dir);
      copyFileSync(join(dir, f), join(buildDir, f));
    }
  };
  copyFrom(tfjsBindingDir);
  for (const d of extraDirs) copyFrom(d);
  for (const edit of EDITS) {
    const path = join(buildDir, edit.file);
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    const count = text.split(edit.anchor).length - 1;
    if (count !== 1) {
      throw new NativeInstallError(
        'sources',
        `tfjs-node's ${edit.file} (from ${tfjsBindingDir}) is not the one the installer knows (${count} matches of ${JSON.stringify(edit.anchor)}); ` +
          `the installer supports tfjs-node ${TFJS_NODE_VERSION}`,
      );
    }
    writeFileSync(path, text.replace(edit.anchor, edit.replacement));
  }
  return [...origin.keys()].filter((f) => /\.(cc|cpp)$/.test(f)).sort();
}
