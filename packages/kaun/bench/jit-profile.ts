/**
 * Where the jitted MNIST MLP step's time goes: the step `Train.make({..., jit: true})` captures
 * (784-128-10, batch 128, Adam) is traced on the native backend, its registered FunctionDef
 * written to a temporary file, and `bench/jit_profile.py` (`$RAVEN_PYTHON`, else `python3`; it
 * needs TensorFlow, and torch for the PyTorch column) reports TensorFlow's own step statistics of
 * that graph per op type and node, with TensorFlow's default intra-op threads and with one, and
 * times the graph's largest matrix products alone in TensorFlow and in PyTorch (1 and 2 threads).
 * The graph holds nx's fused Adam op (`RavenAdamUpdate`), which Python's TensorFlow does not know:
 * its source (`packages/nx-native/binding/raven_adam.cc`) is compiled as an op library against that
 * TensorFlow (`$CXX`, else `g++`, with `tf.sysconfig`'s flags) and loaded there first.
 * Prints one JSON object.
 *
 *   npm run bench:jit-profile -w @raven/kaun      (not part of `npm test` nor `npm run bench`)
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as nx from '@raven/nx';
import { Layer, Loss, Optim, Train } from '@raven/kaun';

const here = dirname(fileURLToPath(import.meta.url));

/** The binding's FunctionDef reader (nx.jit's C++, `packages/nx-native/binding/raven_jit.cc`). */
interface JitBinding { raven?: { jitFunctionDef?(name: string): Uint8Array } }

/** nx's fused ops compiled as a TensorFlow op library for `python`'s TensorFlow, in `dir`. */
function buildOpLibrary(python: string, dir: string): { path: string } | { skipped: string } {
  const flags = spawnSync(python, ['-c', 'import tensorflow as tf; print("\\n".join(tf.sysconfig.get_compile_flags() + tf.sysconfig.get_link_flags()))'], { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  if (flags.status !== 0) return { skipped: `${python} cannot import tensorflow: ${(flags.stderr ?? String(flags.error)).trim().split('\n').slice(-1).join('')}` };
  const path = join(dir, 'raven_ops.so');
  const source = join(here, '..', '..', 'nx-native', 'binding', 'raven_adam.cc');
  const cxx = process.env['CXX'] ?? 'g++';
  const args = ['-std=c++17', '-O2', '-shared', '-fPIC', '-DRAVEN_ADAM_OP_LIBRARY', source, '-o', path, ...flags.stdout.trim().split('\n').filter((f) => !f.startsWith('--std'))];
  const r = spawnSync(cxx, args, { encoding: 'utf8' });
  if (r.status !== 0) return { skipped: `compiling ${source} as a TensorFlow op library failed: ${(r.stderr ?? String(r.error)).trim().split('\n').slice(-3).join(' ')}` };
  return { path };
}

async function main(): Promise<void> {
  if (nx.backendInfo().backend !== 'tensorflow') {
    console.log(JSON.stringify({ skipped: 'the native backend is not installed (npx raven-nx-native install): jit graphs need TensorFlow' }));
    return;
  }
  const layer = Layer.sequential([Layer.linear({ inFeatures: 784, outFeatures: 128 }), Layer.relu(), Layer.linear({ inFeatures: 128, outFeatures: 10 })]);
  const trainer = Train.make({ model: layer, optimizer: Optim.adam({ lr: 1e-3 }), loss: Loss.softmaxCrossEntropy, jit: true });
  let state = Train.makeState(trainer, layer.init({ key: nx.random.key(0) }));
  const x = nx.random.uniform(nx.random.key(1), [128, 784]);
  const y = nx.fromArray(Int32Array.from({ length: 128 }, (_, i) => i % 10), { shape: [128], dtype: 'int32' });
  for (let i = 0; i < 3; i++) {
    const r = Train.step(trainer, state, { x, y });
    state = r.state;
    r.loss.dispose();
  }
  // nx.jit names its functions raven_jit_<n>_<label>; this process traced only the step
  const binding = (tf.backend() as unknown as { binding: JitBinding }).binding;
  let def: Uint8Array | undefined;
  for (let n = 0; n < 16 && def === undefined; n++) {
    try {
      def = binding.raven?.jitFunctionDef?.(`raven_jit_${n}_Train_step`);
    } catch {
      // not this number
    }
  }
  if (def === undefined) throw new Error('the traced step was not found among the registered functions');
  const dir = mkdtempSync(join(tmpdir(), 'raven-jit-profile-'));
  try {
    const file = join(dir, 'step.functiondef.pb');
    writeFileSync(file, def);
    const python = process.env['RAVEN_PYTHON'] ?? 'python3';
    const library = buildOpLibrary(python, dir);
    if ('skipped' in library) {
      console.log(JSON.stringify(library));
      return;
    }
    const r = spawnSync(python, [join(here, 'jit_profile.py'), file, library.path], { encoding: 'utf8', timeout: 600_000 });
    const line = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if (r.status !== 0 || line === undefined) {
      console.log(JSON.stringify({ skipped: `${python} bench/jit_profile.py failed (it needs TensorFlow): ${(r.stderr ?? String(r.error)).trim().split('\n').slice(-2).join(' ')}` }));
      return;
    }
    console.log(JSON.stringify(JSON.parse(line), null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    nx.dispose([x, y]);
  }
}

await main();
