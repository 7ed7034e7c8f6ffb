/**
 * The binding's sources as the installer prepares them (no compiler, no TensorFlow): tfjs-node's
 * files with the hook's edits and the signal guard around every TensorFlow call that runs
 * kernels (binding/raven_signals.h), and the build key, which must change with any header.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildKey, type BuildPlan } from '../src/build/compile.js';
import { EXTRA_SOURCES_DIR, obtainTfjsBinding, prepareSources } from '../src/build/sources.js';
import { TENSORFLOW_LIBRARIES, type TensorflowInstall } from '../src/tensorflow/install.js';
import { removeScratch, scratchDir } from './_env.js';

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

afterAll(removeScratch);

/** Where statements (not comments) call `call(`: a line that starts with it or assigns its result. */
function callSites(text: string, call: string): number[] {
  const re = new RegExp(`\\n[ \\t]*(?:[\\w]+ = )?${call.replace('(', '\\(')}`, 'g');
  return [...text.matchAll(re)].map((m) => m.index! + 1);
}

/** The `{ ... }` block around position `at` of `text`. */
function enclosingBlock(text: string, at: number): string {
  return text.slice(text.lastIndexOf('{\n', at), text.indexOf('}\n', at) + 1);
}

describe('prepareSources', () => {
  it('guards every TensorFlow call of tfjs-node\'s that runs kernels or starts threads', async () => {
    // tfjs-node's sources as the installer gets them: the installed package's, else the registry's
    // tarball (npm ci drops the optional package when its own install script cannot download)
    const work = scratchDir('nx-native-sources-');
    const tfjsBinding = await obtainTfjsBinding(root, '@tensorflow/tfjs-node', work, () => {});
    const build = join(work, 'build');
    const files = prepareSources(tfjsBinding, [EXTRA_SOURCES_DIR], build);
    expect(files).toEqual(expect.arrayContaining(['tfjs_backend.cc', 'raven_signals.cc', 'raven_jit.cc']));
    const backend = readFileSync(join(build, 'tfjs_backend.cc'), 'utf8');
    expect(backend).toContain('#include "raven_signals.h"');
    for (const call of ['TFE_NewContext(', 'TFE_Execute(', 'TF_SessionRun(', 'TF_LoadSessionFromSavedModel(']) {
      // the one call sits in a block that first blocks signals
      const sites = callSites(backend, call);
      expect(sites, call).toHaveLength(1);
      expect(enclosingBlock(backend, sites[0]!), call).toMatch(/^\{\n\s+raven::AsyncSignalsBlocked blocked;/);
    }
    // the session is still declared where the rest of the function uses it
    expect(backend).toMatch(/TF_Session \*session = nullptr;\n\s+\{\n\s+raven::AsyncSignalsBlocked blocked;[^\n]*\n\s+session = TF_LoadSessionFromSavedModel\(/);
    // and this package's own TensorFlow calls
    for (const [file, call] of [['raven_jit.cc', 'TF_GraphImportGraphDef('], ['raven_jit_async.cc', 'TFE_Execute(']] as const) {
      const text = readFileSync(join(build, file), 'utf8');
      const before = text.slice(0, text.indexOf(call));
      expect(before.lastIndexOf('AsyncSignalsBlocked blocked;'), `${file}: ${call}`).toBeGreaterThan(before.lastIndexOf('\n}\n'));
    }
  }, 300_000);
});

describe('buildKey', () => {
  it('changes with any header of the build folder, not only the sources', () => {
    const dir = scratchDir('nx-native-key-');
    const build = join(dir, 'build');
    const lib = join(dir, 'lib');
    mkdirSync(build);
    mkdirSync(lib);
    for (const l of TENSORFLOW_LIBRARIES) writeFileSync(join(lib, l), 'not a library');
    writeFileSync(join(build, 'a.cc'), '#include "b.h"\n');
    writeFileSync(join(build, 'b.h'), 'inline int b() { return 1; }\n');
    const plan = {
      compiler: { version: 'g++ 12' },
      nodeInclude: dir,
      tensorflow: { libDir: lib, cudaLibDirs: [] } as unknown as TensorflowInstall,
      buildDir: build,
      sources: ['a.cc'],
    } as unknown as BuildPlan;
    const first = buildKey(plan);
    expect(buildKey(plan)).toBe(first);
    writeFileSync(join(build, 'b.h'), 'inline int b() { return 2; }\n');
    expect(buildKey(plan)).not.toBe(first);
  });
});
