/**
 * backendInfo() tells the truth on every backend. On `tensorflow` the version, GPU and library
 * come from the binding (TensorFlow itself); they are checked here against independent sources:
 * the library file on disk, the version in the wheel's file name or the installation's metadata,
 * and the device list.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';

/** The TensorFlow version an installation's own metadata gives: the wheel file name, or a *.dist-info next to the folder. */
function versionOfInstallation(installation: string): string | undefined {
  const path = installation.replace(/ \(.*\)$/, ''); // "python (folder)" -> python; a wheel or folder stays
  const folder = /\((.*)\)$/.exec(installation)?.[1];
  if (path.endsWith('.whl')) return basename(path).split('-')[1];
  const dir = folder ?? path;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return undefined;
  const info = readdirSync(dirname(dir)).find((e) => /^tensorflow[-_a-z]*-[\d.]+\.dist-info$/.test(e));
  if (!info) return undefined;
  return /^Version:\s*(.+)$/m.exec(readFileSync(join(dirname(dir), info, 'METADATA'), 'utf8'))?.[1]?.trim();
}

describe(`backendInfo on ${nx.backendInfo().backend}`, () => {
  const info = nx.backendInfo();

  it('names the backend that runs, and a device consistent with it; a TensorFlow report only on tensorflow', () => {
    expect(info.backend).toBe(process.env['NX_BACKEND']);
    expect(info.tensorflow !== undefined).toBe(info.backend === 'tensorflow');
    const devices: Record<nx.BackendName, RegExp> = { tensorflow: /^(cuda|cpu \(libtensorflow\))$/, wasm: /^cpu \(wasm( simd)?\)$/, cpu: /^cpu \(javascript\)$/ };
    expect(info.device).toMatch(devices[info.backend]);
  });

  // the native backend's report (on wasm and cpu the first test checks there is none)
  it.runIf(nx.backendInfo().backend === 'tensorflow')('reports the TensorFlow the binding loaded, its devices and where it came from', () => {
    const tf = info.tensorflow!;
    expect(tf.tensorflowVersion).toMatch(/^\d+\.\d+\.\d+/);
    // GPU use as TensorFlow reports it: a GPU device listed and chosen, and `device` agrees
    expect(tf.gpu).toBe(tf.devices.some((d) => d.startsWith('GPU ')) && !!tf.executionDevice?.includes('GPU'));
    expect(info.device).toBe(tf.gpu ? 'cuda' : 'cpu (libtensorflow)');
    expect(tf.devices.some((d) => d.startsWith('CPU '))).toBe(true);
    // the library is a real file of the installation, not a copy inside node_modules
    expect(tf.library).not.toBeNull();
    expect(existsSync(tf.library!)).toBe(true);
    expect(tf.library!).not.toMatch(/node_modules/);
    expect(tf.builtBy).toBe('raven-nx-native');
    expect(tf.installation).not.toBeNull();
    const version = versionOfInstallation(tf.installation!);
    expect(version, `no version found for ${tf.installation}`).toBeDefined();
    expect(tf.tensorflowVersion).toBe(version);
  });

  it('returns a copy: changing it changes nothing', () => {
    const a = nx.backendInfo();
    a.device = 'changed';
    a.tensorflow?.devices.push('changed');
    expect(nx.backendInfo()).toEqual(info);
  });
});
