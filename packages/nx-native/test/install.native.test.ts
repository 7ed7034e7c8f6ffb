/**
 * The installer against a real TensorFlow (a wheel from $RAVEN_TF_WHEEL or the TensorFlow of
 * $RAVEN_PYTHON/python3), in scratch projects: a full install that loads and computes, the second
 * run that changes nothing, and the failures that must leave node_modules as it was (a compile
 * error, an interrupted build, a project whose tfjs-core would hide the backend).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { check, install, MANIFEST_FILE, NativeInstallError, type NativeManifest } from '@raven/nx-native';
import { runChild } from '../src/child.js';
import { removeScratch, scratchDir, scratchProject, testCacheDir, testTensorflow, treeListing } from './_env.js';

const tf = await testTensorflow();
const reason = typeof tf === 'string' ? tf : '';
const source = typeof tf === 'string' ? {} : { ...(tf.tensorflow ? { tensorflow: tf.tensorflow } : {}), ...(tf.python ? { python: tf.python } : {}) };
const CLI = fileURLToPath(new URL('../src/cli-run.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../..', import.meta.url));

describe.skipIf(typeof tf === 'string')(`install against a real TensorFlow ${reason ? `(skipped: ${reason})` : ''}`, () => {
  let cacheDir: string;
  beforeAll(() => {
    cacheDir = testCacheDir();
  });
  afterAll(removeScratch);

  it('installs tfjs-node with a checked binding; the project loads it and computes; a second run changes nothing', async () => {
    const project = await scratchProject();
    const lines: string[] = [];
    const r = await install({ ...source, project, cacheDir, log: (l) => lines.push(l) });
    expect(r.status).toBe('installed');
    expect(r.package).toBe('@tensorflow/tfjs-node');
    expect(r.report.tensorflowVersion).toMatch(/^2\.\d+\.\d+/);
    if (r.tensorflow.version) expect(r.report.tensorflowVersion).toBe(r.tensorflow.version);
    expect(r.report.gpu).toBe(false);
    expect(r.report.hookVersion).toBe(1);
    expect(r.report.devices.map((d) => d.type)).toContain('CPU');
    // the library the process loaded is the one of the TensorFlow installation, not a copy
    expect(r.report.library).toBe(join(r.tensorflow.libDir, 'libtensorflow_cc.so.2'));
    expect(r.project.backend).toBe('tensorflow');
    expect(existsSync(r.binding)).toBe(true);
    const manifest = JSON.parse(readFileSync(join(r.packageDir, MANIFEST_FILE), 'utf8')) as NativeManifest;
    expect(manifest.tensorflow.libDir).toBe(r.tensorflow.libDir);
    expect(manifest.report.tensorflowVersion).toBe(r.report.tensorflowVersion);
    // package.json untouched (--no-save), and no download of libtensorflow happened (no deps/ folder)
    expect(JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).dependencies).toEqual({ '@tensorflow/tfjs-core': '4.22.0' });
    expect(existsSync(join(r.packageDir, 'deps'))).toBe(false);
    expect(lines.some((l) => /compiling|using the binding built before/.test(l))).toBe(true);

    const before = treeListing(join(project, 'node_modules'));
    const again = await install({ ...source, project, cacheDir });
    expect(again.status).toBe('unchanged');
    expect(treeListing(join(project, 'node_modules'))).toEqual(before);

    const doctor = await check({ ...source, project, cacheDir });
    expect(doctor.working, JSON.stringify(doctor.findings, null, 1)).toBe(true);
    const from = source.tensorflow ? [source.tensorflow] : ['--python', source.python!];
    const cli = await runChild(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, '--check', ...from, '--project', project, '--cache-dir', cacheDir], {
      cwd: REPO,
      timeoutMs: 300_000,
    });
    expect(cli.status, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/native backend: working/);
  }, 900_000);

  it('a compile error in an extra C++ file fails with the compiler message; node_modules is unchanged', async () => {
    const project = await scratchProject();
    const before = treeListing(join(project, 'node_modules'));
    const extra = scratchDir('nx-native-extra-');
    writeFileSync(join(extra, 'broken.cc'), '#include "raven_hook.h"\nthis is not C++;\n');
    let error: unknown;
    try {
      await install({ ...source, project, cacheDir, extraSources: [extra] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NativeInstallError);
    expect((error as NativeInstallError).code).toBe('compile');
    expect((error as Error).message).toMatch(/broken\.cc/);
    expect(treeListing(join(project, 'node_modules'))).toEqual(before);
  }, 900_000);

  it('an extra C++ file registered with RAVEN_EXPORT is callable from JavaScript on binding.raven', async () => {
    const project = await scratchProject();
    const extra = scratchDir('nx-native-extra-');
    writeFileSync(
      join(extra, 'twice.cc'),
      [
        '#include "raven_hook.h"',
        '// twice(id): a new tensor holding AddV2(t, t), made from the handle of tensor `id`.',
        'static napi_value Twice(napi_env env, napi_callback_info info) {',
        '  size_t argc = 1; napi_value arg; napi_get_cb_info(env, info, &argc, &arg, nullptr, nullptr);',
        '  int32_t id; napi_get_value_int32(env, arg, &id);',
        '  TFE_TensorHandle *h = raven::Handle(env, id); if (h == nullptr) return nullptr;',
        '  TF_Status *s = TF_NewStatus();',
        '  TFE_Op *op = TFE_NewOp(raven::Context(env), "AddV2", s);',
        '  TFE_OpAddInput(op, h, s); TFE_OpAddInput(op, h, s);',
        '  TFE_TensorHandle *out = nullptr; int n = 1; TFE_Execute(op, &out, &n, s); TFE_DeleteOp(op);',
        '  bool ok = raven::CheckStatus(env, s, "twice"); TF_DeleteStatus(s);',
        '  return ok ? raven::Adopt(env, out) : nullptr;',
        '}',
        'RAVEN_EXPORT("twice", Twice);',
      ].join('\n'),
    );
    const r = await install({ ...source, project, cacheDir, extraSources: [extra] });
    // the JavaScript side as nx uses it: ids of input tensors from the backend, outputs back into TF.js tensors
    const script = `
      const tf = require('@tensorflow/tfjs-node');
      const backend = tf.backend();
      const x = tf.tensor1d([1.5, -2, 4]);
      const [id] = backend.getInputTensorIds([x]);
      const y = backend.createOutputTensor(backend.binding.raven.twice(id));
      console.log(JSON.stringify({ values: Array.from(y.dataSync()), shape: y.shape, names: Object.keys(backend.binding.raven).sort() }));
      let missing = '';
      try { backend.binding.raven.twice(987654); } catch (e) { missing = e.message; }
      console.log(JSON.stringify({ missing }));
    `;
    const run = await runChild(process.execPath, ['-e', script], { cwd: project, timeoutMs: 300_000 });
    expect(run.status, run.stderr).toBe(0);
    const [first, second] = run.stdout.trim().split('\n').slice(-2).map((l) => JSON.parse(l));
    expect(first.values).toEqual([3, -4, 8]);
    expect(first.shape).toEqual([3]);
    // the extra file's export sits beside the hook's own (device queries, nx.jit's functions)
    expect(first.names).toEqual(expect.arrayContaining(['devices', 'executionDevice', 'hookVersion', 'jitRegisterFunction', 'libraryPath', 'twice']));
    expect(second.missing).toMatch(/no tensor with id 987654/);
    expect(r.status).toBe('installed');
  }, 900_000);

  it('Ctrl-C during the build (SIGINT to the process group) leaves node_modules as it was and no temporary files', async () => {
    const project = await scratchProject();
    const before = treeListing(join(project, 'node_modules'));
    const tmp = scratchDir('nx-native-tmp-');
    const extra = scratchDir('nx-native-extra-');
    // a distinct extra file, so the build cannot come from the cache and really compiles
    writeFileSync(join(extra, `unique_${process.pid}_${Date.now()}.cc`), '#include "raven_hook.h"\n');
    // the CLI has no flag for extra sources: run install() through tsx, as the bin does from source
    const runner = join(scratchDir('nx-native-runner-'), 'run.mts');
    writeFileSync(
      runner,
      `import { install } from ${JSON.stringify(fileURLToPath(new URL('../src/index.ts', import.meta.url)))};\n` +
        `await install({ ...${JSON.stringify(source)}, project: ${JSON.stringify(project)}, cacheDir: ${JSON.stringify(cacheDir)}, extraSources: [${JSON.stringify(extra)}], log: (l) => console.error(l) });\n`,
    );
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', runner], {
      cwd: REPO,
      detached: true,
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (/compiling/.test(err)) resolve();
      });
      child.on('exit', () => reject(new Error(`the installer ended before compiling:\n${err}`)));
    });
    process.kill(-child.pid!, 'SIGINT');
    const code = await new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (c, s) => resolve({ code: c, signal: s })));
    expect(code.code === 0).toBe(false);
    expect(treeListing(join(project, 'node_modules'))).toEqual(before);
    // the build folder (raven-nx-native-*) is gone; tsx keeps its own cache there (tsx-*)
    expect(readdirSync(tmp).filter((n) => n.startsWith('raven-nx-native-'))).toEqual([]);
  }, 900_000);

  it('a project whose tfjs-core differs from tfjs-node\'s is refused after npm ran, and node_modules is put back', async () => {
    const project = await scratchProject('4.21.0');
    const before = treeListing(join(project, 'node_modules'));
    const pkgJson = readFileSync(join(project, 'package.json'), 'utf8');
    let error: unknown;
    try {
      await install({ ...source, project, cacheDir });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NativeInstallError);
    expect((error as NativeInstallError).code).toBe('check');
    expect((error as Error).message).toMatch(/two copies of @tensorflow\/tfjs-core/);
    expect(treeListing(join(project, 'node_modules'))).toEqual(before);
    expect(readFileSync(join(project, 'package.json'), 'utf8')).toBe(pkgJson);
  }, 900_000);
});
