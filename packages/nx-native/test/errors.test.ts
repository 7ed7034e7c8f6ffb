/**
 * The installer's error paths that need no TensorFlow: each is a typed NativeInstallError whose
 * code and message say what is missing, raised before anything in node_modules changes.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OptionError } from '@raven/nx/options';
import { check, install, NativeInstallError } from '@raven/nx-native';
import { runChild } from '../src/child.js';
import { removeScratch, scratchDir, treeListing, writeZip } from './_env.js';

async function failure(p: Promise<unknown>): Promise<NativeInstallError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(NativeInstallError);
    return e as NativeInstallError;
  }
  throw new Error('expected the install to fail');
}

/** A project folder with a package.json and an empty node_modules. */
function emptyProject(): string {
  const dir = scratchDir('nx-native-empty-');
  writeFileSync(join(dir, 'package.json'), '{"name":"p","private":true}\n');
  mkdirSync(join(dir, 'node_modules'));
  return dir;
}

const hasPython3 = (await runChild('python3', ['-c', 'import venv'], { timeoutMs: 60_000 })).status === 0;

afterAll(removeScratch);

describe('install: what is missing, and nothing changed', () => {
  it('rejects unknown option names', async () => {
    await expect(install({ tensorflw: 'x' } as never)).rejects.toThrow(OptionError);
    await expect(check({ pyhton: 'x' } as never)).rejects.toThrow(/did you mean "python"/);
  });

  it('a project without package.json', async () => {
    const e = await failure(install({ project: scratchDir('nx-native-noproject-'), tensorflow: '/nonexistent.whl' }));
    expect(e.code).toBe('project');
    expect(e.message).toMatch(/no package\.json/);
  });

  it('a TensorFlow path that does not exist', async () => {
    const project = emptyProject();
    const e = await failure(install({ project, tensorflow: join(project, 'tensorflow_cpu-2.21.0.whl') }));
    expect(e.code).toBe('bad-path');
    expect(e.message).toContain('tensorflow_cpu-2.21.0.whl');
  });

  it('a folder that is not a TensorFlow installation', async () => {
    const project = emptyProject();
    const e = await failure(install({ project, tensorflow: project }));
    expect(e.code).toBe('bad-path');
    expect(e.message).toMatch(/neither a wheel nor a TensorFlow folder/);
  });

  it('a corrupt wheel file (not a zip archive) is named, and node_modules is untouched', async () => {
    const project = emptyProject();
    const before = treeListing(join(project, 'node_modules'));
    const wheel = join(project, 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl');
    writeFileSync(wheel, Buffer.from('PK\x03\x04 this is not really a zip archive '.repeat(100)));
    const e = await failure(install({ project, tensorflow: wheel, cacheDir: join(project, 'cache') }));
    expect(e.code).toBe('bad-wheel');
    expect(e.message).toContain(wheel);
    expect(treeListing(join(project, 'node_modules'))).toEqual(before);
  });

  it('a truncated wheel (a download cut short) is a bad wheel', async () => {
    const project = emptyProject();
    const full = join(project, 'full.whl');
    writeZip(full, { 'tensorflow/__init__.py': 'x = 1\n'.repeat(1000), 'tensorflow-2.21.0.dist-info/METADATA': 'Name: tensorflow\nVersion: 2.21.0\n' });
    const cut = join(project, 'cut.whl');
    writeFileSync(cut, readFileSync(full).subarray(0, 200));
    const e = await failure(install({ project, tensorflow: cut, cacheDir: join(project, 'cache') }));
    expect(e.code).toBe('bad-wheel');
  });

  it('a well-formed wheel without the TensorFlow C library', async () => {
    const project = emptyProject();
    const wheel = join(project, 'tensorflow-2.21.0-py3-none-any.whl');
    writeZip(wheel, { 'tensorflow/__init__.py': '', 'tensorflow-2.21.0.dist-info/METADATA': 'Name: tensorflow\nVersion: 2.21.0\n' });
    const e = await failure(install({ project, tensorflow: wheel, cacheDir: join(project, 'cache') }));
    expect(e.code).toBe('no-tensorflow');
    expect(e.message).toMatch(/libtensorflow_cc\.so\.2/);
  });

  it('no Python interpreter', async () => {
    const project = emptyProject();
    const e = await failure(install({ project, python: join(project, 'no-such-python3') }));
    expect(e.code).toBe('no-python');
    expect(e.message).toMatch(/pass a TensorFlow wheel or folder/);
  });

  it.skipIf(!hasPython3)('a Python without TensorFlow (a fresh virtualenv)', async () => {
    const project = emptyProject();
    const venv = join(project, 'venv');
    const r = await runChild('python3', ['-m', 'venv', '--without-pip', venv], { timeoutMs: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const e = await failure(install({ project, python: join(venv, 'bin', 'python') }));
    expect(e.code).toBe('no-tensorflow');
    expect(e.message).toContain(join(venv, 'bin', 'python'));
    expect(e.message).toMatch(/pip install tensorflow-cpu/);
  });

  it('check() explains what is missing when nothing is installed', async () => {
    const project = emptyProject();
    const r = await check({ project, python: join(project, 'no-such-python3') });
    expect(r.working).toBe(false);
    const byWhat = new Map(r.findings.map((f) => [f.what, f]));
    expect(byWhat.get('tensorflow')?.ok).toBe(false);
    expect(byWhat.get('tensorflow')?.detail).toMatch(/no Python interpreter/);
    expect(byWhat.get('package')?.detail).toMatch(/raven-nx-native install/);
    expect(byWhat.get('platform')?.ok).toBe(true);
  });

  it('a missing compiler is named with what to install', async () => {
    const project = emptyProject();
    const wheel = join(project, 'w.whl');
    writeZip(wheel, { 'a.txt': 'a' });
    const r = await check({ project, tensorflow: wheel, cxx: join(project, 'no-such-g++'), nodedir: join(project, 'no-node') });
    const byWhat = new Map(r.findings.map((f) => [f.what, f]));
    expect(byWhat.get('compiler')).toMatchObject({ ok: false });
    expect(byWhat.get('compiler')?.detail).toMatch(/apt-get install g\+\+/);
    expect(byWhat.get('tensorflow')).toMatchObject({ ok: false });
  });
});
