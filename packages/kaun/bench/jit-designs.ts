/**
 * How to run a captured training step: the two designs issue 16 weighed, measured in one run.
 *
 * MNIST MLP 784-128-10, batch 128, Adam lr 1e-3, epochs of 469 steps over the same MNIST batches
 * (held in tensors, wrapping round the 60,000 training images) from the same initial weights
 * (written to a file that every engine reads), one child process per engine:
 * - `savedModel`: the step as a TensorFlow SavedModel built by `bench/jit_savedmodel.py`
 *   (`$RAVEN_PYTHON`, else `python3`; skipped with the reason when TensorFlow does not import),
 *   loaded with tfjs-node's own `tf.node.loadSavedModel` and driven by `model.predict`, the
 *   parameters, Adam's moments and the step count passed in and their new values passed out each
 *   step (outputs fed back as inputs);
 * - `jit`: `Train.make({..., jit: true})` + `Train.step` in a hand loop (nx.jit: the traced step
 *   registered as a function in the binding's eager context, run as one op on tensor handles);
 * - `eager`: the same loop with `jit: false`.
 * Each reports the second epoch (the first includes tracing, graph optimisation and the upload of
 * the batches) in seconds and process CPU seconds, and the losses of the first 20 steps; the
 * parent prints the largest differences between those trajectories (and the one the Python script
 * computes itself) and the bytes of state the SavedModel path passes across per step.
 *
 *   npm run bench:jit-designs -w @raven/kaun      (not part of `npm test` nor `npm run bench`)
 *
 * What tfjs-node's SavedModel runner does with the tensors (`TFJSBackend::RunSavedModel`,
 * node_modules/@tensorflow/tfjs-node/binding/tfjs_backend.cc of tfjs-node 4.22.0, lines
 * 1039-1209; the session comes from `TF_LoadSessionFromSavedModel`, line 985):
 * - inputs: each tensor id is looked up in the backend's map of eager `TFE_TensorHandle`s and
 *   resolved with `TFE_TensorHandleResolve` into a host `TF_Tensor` (lines 1099-1116), because
 *   the legacy `TF_SessionRun` (line 1171) takes host tensors only. On CPU the resolve can share
 *   the buffer; on a GPU it is a device->host copy of every input, and the session then copies
 *   them host->device again for its kernels. Before that, JavaScript rewrites uint8 and int64
 *   inputs through `dataSync()` (`getMappedInputTensorIds`, dist/nodejs_kernel_backend.js).
 * - outputs: `TF_SessionRun` returns host `TF_Tensor`s; each is wrapped with
 *   `TFE_NewTensorHandle` (line 1189), a host-memory handle, and the `TF_Tensor` deleted
 *   (line 1191). So the updated state comes back to host memory every step, and the next step's
 *   ops, or the next `predict`, move it again.
 * - the input and output ops are looked up by name in the graph on every call (lines 1134, 1159;
 *   a TODO there says so), and the per-call strings are parsed again.
 * So on CUDA the whole training state (parameters + two Adam moments) crosses the bus twice per
 * step, which issue 16 rules out; nx.jit's function in the eager context (packages/nx-native/
 * binding/raven_jit.cc) takes and returns `TFE_TensorHandle`s where they live. For BERT-base
 * with AdamW that state is 3 x 109,483,778 float32 values (BertForSequenceClassification, 2
 * labels) = 1,313,805,336 bytes (1.22 GiB) each way, about 2.6 GB over the bus per step.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nx from '@raven/nx';
import { Datasets, Layer, Loss, Optim, Ptree, Train } from '@raven/kaun';

type Engine = 'savedModel' | 'jit' | 'eager';
const ENGINES: Engine[] = ['savedModel', 'jit', 'eager'];
const BATCH = 128;
const STEPS = 469;
const CHECKED = 20;
/** nx's parameter paths of the MLP, in the order of the names the Python script uses. */
const PARAMS = [['w1', '0.weight'], ['b1', '0.bias'], ['w2', '2.weight'], ['b2', '2.bias']] as const;
const here = dirname(fileURLToPath(import.meta.url));
const round = (v: number, d = 3): number => Number(v.toFixed(d));

/** A batch as host arrays. */
interface HostBatch { x: Float32Array; y: Int32Array }

/** The 469 batches of an epoch: MNIST training images / 255 in order, wrapping round. */
async function hostBatches(count = STEPS): Promise<HostBatch[]> {
  const { train } = await Datasets.mnist();
  const out: HostBatch[] = [];
  for (let s = 0; s < count; s++) {
    const x = new Float32Array(BATCH * 784);
    const y = new Int32Array(BATCH);
    for (let j = 0; j < BATCH; j++) {
      const i = (s * BATCH + j) % train.count;
      for (let k = 0; k < 784; k++) x[j * 784 + k] = train.images[i * 784 + k]! / 255;
      y[j] = train.labels[i]!;
    }
    out.push({ x, y });
  }
  return out;
}

/** The initial weights the parent wrote: name -> {shape, values}. */
function readInit(dir: string): Map<string, { shape: number[]; values: Float32Array }> {
  const meta = JSON.parse(readFileSync(join(dir, 'init.json'), 'utf8')) as { names: string[]; shapes: number[][] };
  const buf = readFileSync(join(dir, 'init.bin'));
  const flat = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const out = new Map<string, { shape: number[]; values: Float32Array }>();
  let at = 0;
  meta.names.forEach((name, i) => {
    const shape = meta.shapes[i]!;
    const size = shape.reduce((a, b) => a * b, 1);
    out.set(name, { shape, values: flat.slice(at, at + size) });
    at += size;
  });
  return out;
}

/** What a child prints. */
interface EngineResult { epochSeconds: number[]; epochCpuSeconds: number[]; losses: number[]; lastLoss: number; [k: string]: unknown }

/** Times `epoch(e)` for two epochs: wall and process CPU seconds. */
function timeEpochs(epoch: (e: number) => number): Pick<EngineResult, 'epochSeconds' | 'epochCpuSeconds' | 'lastLoss'> {
  const epochSeconds: number[] = [];
  const epochCpuSeconds: number[] = [];
  let lastLoss = Number.NaN;
  for (let e = 0; e < 2; e++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    lastLoss = epoch(e); // reads the last loss: waits for the device
    const c = process.cpuUsage(c0);
    epochSeconds.push(round((performance.now() - t0) / 1000));
    epochCpuSeconds.push(round((c.user + c.system) / 1e6));
  }
  return { epochSeconds, epochCpuSeconds, lastLoss: round(lastLoss, 5) };
}

/** The part of tfjs-node this bench uses (loaded at run time: the native installer puts it there). */
interface TfTensor { readonly shape: number[]; readonly size: number; readonly dtype: string; dispose(): void; dataSync(): ArrayLike<number> }
interface TfNode {
  tensor(values: Float32Array | Int32Array, shape: number[], dtype: 'float32' | 'int32'): TfTensor;
  zeros(shape: number[], dtype: 'float32'): TfTensor;
  scalar(value: number, dtype: 'int32'): TfTensor;
  memory(): { numTensors: number };
  node: { loadSavedModel(path: string): Promise<{ predict(inputs: Record<string, TfTensor>): unknown; dispose(): void }> };
}

/** Child: the SavedModel through tfjs-node's `loadSavedModel(...).predict`. */
async function runSavedModel(dir: string): Promise<EngineResult> {
  const tf = createRequire(import.meta.url)('@tensorflow/tfjs-node') as TfNode;
  const init = readInit(dir);
  const data = (await hostBatches()).map((b) => ({ x: tf.tensor(b.x, [BATCH, 784], 'float32'), y: tf.tensor(b.y, [BATCH], 'int32') }));
  const model = await tf.node.loadSavedModel(join(dir, 'savedmodel'));
  let state: Record<string, TfTensor> = { step: tf.scalar(0, 'int32') };
  for (const [name] of PARAMS) {
    const { shape, values } = init.get(name)!;
    state[name] = tf.tensor(values, shape, 'float32');
    state[`m_${name}`] = tf.zeros(shape, 'float32');
    state[`v_${name}`] = tf.zeros(shape, 'float32');
  }
  const stateBytes = Object.values(state).reduce((a, t) => a + t.size * 4, 0);
  const losses: number[] = [];
  const live: number[] = [];
  const timing = timeEpochs((e) => {
    live.push(tf.memory().numTensors);
    let last = Number.NaN;
    for (let s = 0; s < STEPS; s++) {
      const { loss, ...next } = model.predict({ ...state, x: data[s]!.x, y: data[s]!.y }) as Record<string, TfTensor>;
      for (const t of Object.values(state)) t.dispose();
      state = next;
      if ((e === 0 && s < CHECKED) || s === STEPS - 1) last = loss!.dataSync()[0]!;
      if (e === 0 && s < CHECKED) losses.push(last);
      loss!.dispose();
    }
    return last;
  });
  live.push(tf.memory().numTensors);
  model.dispose();
  return { ...timing, losses, liveTensorsAtEpochStarts: live, stateBytesEachWay: stateBytes, batchBytes: BATCH * 784 * 4 + BATCH * 4 };
}

/** Child: `Train.step` with or without `jit`. */
async function runNx(dir: string, jit: boolean): Promise<EngineResult> {
  if (nx.backendInfo().backend !== 'tensorflow') throw new Error('the native backend did not load');
  const init = readInit(dir);
  const data = (await hostBatches()).map((b) => ({
    x: nx.fromArray(b.x, { shape: [BATCH, 784], dtype: 'float32' }),
    y: nx.fromArray(b.y, { shape: [BATCH], dtype: 'int32' }),
  }));
  const layer = Layer.sequential([Layer.linear({ inFeatures: 784, outFeatures: 128 }), Layer.relu(), Layer.linear({ inFeatures: 128, outFeatures: 10 })]);
  const fresh = layer.init({ key: nx.random.key(0) });
  const names = new Map<string, string>(PARAMS.map(([name, path]) => [path, name]));
  const params = Ptree.map(fresh.params, (t, path) => {
    const { shape, values } = init.get(names.get(path)!)!;
    t.dispose();
    return nx.fromArray(values, { shape, dtype: 'float32' });
  });
  const trainer = Train.make({ model: layer, optimizer: Optim.adam({ lr: 1e-3 }), loss: Loss.softmaxCrossEntropy, jit });
  let state = Train.makeState(trainer, { params, state: fresh.state, dtype: fresh.dtype });
  const losses: number[] = [];
  const live: number[] = [];
  const timing = timeEpochs((e) => {
    live.push(nx.memory().numTensors);
    let last = Number.NaN;
    for (let s = 0; s < STEPS; s++) {
      const r = Train.step(trainer, state, data[s]!);
      state = r.state;
      if ((e === 0 && s < CHECKED) || s === STEPS - 1) last = nx.item(r.loss);
      if (e === 0 && s < CHECKED) losses.push(last);
      r.loss.dispose();
    }
    return last;
  });
  live.push(nx.memory().numTensors);
  return { ...timing, losses, liveTensorsAtEpochStarts: live };
}

function maxAbsDiff(a: unknown, b: unknown): number | null {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length || a.length === 0) return null;
  return Math.max(...a.map((v: number, i) => Math.abs(v - (b[i] as number))));
}

function runChild(engine: Engine, dir: string): EngineResult | { error: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NX_BACKEND: 'tensorflow' };
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'child', engine, dir], { env, encoding: 'utf8', timeout: 1_800_000, maxBuffer: 1 << 26 });
  const line = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || line === undefined) {
    const lines = ((r.stderr ?? '') + String(r.error ?? '')).trim().split('\n');
    return { error: (lines.find((l) => /^\w*Error\b/.test(l.trim())) ?? lines.slice(-3).join(' ')).trim() };
  }
  return JSON.parse(line) as EngineResult;
}

/** Writes the initial weights and the first batches, builds the SavedModel; a reason when it cannot. */
async function prepare(dir: string): Promise<{ skipped: string } | { tensorflow: string; losses: number[] }> {
  const layer = Layer.sequential([Layer.linear({ inFeatures: 784, outFeatures: 128 }), Layer.relu(), Layer.linear({ inFeatures: 128, outFeatures: 10 })]);
  const vars = layer.init({ key: nx.random.key(0) });
  const leaves = PARAMS.map(([, path]) => Ptree.getTensor(vars.params, path));
  writeFileSync(join(dir, 'init.json'), JSON.stringify({ names: PARAMS.map(([n]) => n), shapes: leaves.map((t) => t.shape) }));
  writeFileSync(join(dir, 'init.bin'), Buffer.concat(leaves.map((t) => Buffer.from(nx.toTypedArray(t).buffer))));
  Ptree.dispose(vars.params);
  const first = await hostBatches(CHECKED);
  writeFileSync(join(dir, 'batches.json'), JSON.stringify({ count: CHECKED }));
  writeFileSync(join(dir, 'batches.bin'), Buffer.concat([...first.map((b) => Buffer.from(b.x.buffer)), ...first.map((b) => Buffer.from(b.y.buffer))]));
  const python = process.env['RAVEN_PYTHON'] ?? 'python3';
  const probe = spawnSync(python, ['-c', 'import tensorflow, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: `${python} cannot import tensorflow and numpy (set RAVEN_PYTHON to an interpreter that can)` };
  const r = spawnSync(python, [join(here, 'jit_savedmodel.py'), dir], { encoding: 'utf8', timeout: 600_000, env: { ...process.env, CUDA_VISIBLE_DEVICES: '' } });
  if (r.status !== 0) return { skipped: `jit_savedmodel.py failed: ${(r.stderr ?? String(r.error)).trim().split('\n').slice(-3).join(' ')}` };
  return JSON.parse(readFileSync(join(dir, 'python.json'), 'utf8')) as { tensorflow: string; losses: number[] };
}

/** The whole benchmark. */
export async function benchJitDesigns(): Promise<object> {
  const dir = mkdtempSync(join(tmpdir(), 'raven-jit-designs-'));
  try {
    const out: Record<string, unknown> = {
      benchmark: `MNIST MLP 784-128-10, batch ${BATCH}, Adam 1e-3, ${STEPS} steps per epoch; figures: the second epoch`,
      machineLoadBefore: round(loadavg()[0]!, 2),
    };
    const python = await prepare(dir);
    const results: Partial<Record<Engine, EngineResult | { error: string } | { skipped: string }>> = {};
    for (const engine of ENGINES) {
      process.stderr.write(`[bench:jit-designs] ${engine}\n`);
      results[engine] = engine === 'savedModel' && 'skipped' in python ? python : runChild(engine, dir);
    }
    const losses = (e: Engine): unknown => (results[e] as Partial<EngineResult> | undefined)?.losses;
    const sm = results.savedModel as Partial<EngineResult>;
    const summary = (e: Engine): unknown => {
      const r = results[e] as Partial<EngineResult>;
      return r.epochSeconds ? { seconds: r.epochSeconds[1], cpuSeconds: r.epochCpuSeconds![1] } : r;
    };
    Object.assign(out, {
      secondEpoch: { savedModel: summary('savedModel'), jit: summary('jit'), eager: summary('eager') },
      savedModelStatePerStep: typeof sm.stateBytesEachWay === 'number'
        ? { bytesEachWay: sm.stateBytesEachWay, bytesInAndOut: 2 * sm.stateBytesEachWay, batchBytesIn: sm['batchBytes'] }
        : null,
      maxLossDiffFirst20Steps: {
        savedModelVsJit: maxAbsDiff(losses('savedModel'), losses('jit')),
        jitVsEager: maxAbsDiff(losses('jit'), losses('eager')),
        savedModelVsPython: 'losses' in python ? maxAbsDiff(losses('savedModel'), python.losses) : null,
        jitVsPython: 'losses' in python ? maxAbsDiff(losses('jit'), python.losses) : null,
      },
      python: 'losses' in python ? { tensorflow: python.tensorflow, losses: python.losses.map((l) => round(l, 6)) } : python,
      engines: results,
      machineLoadAfter: round(loadavg()[0]!, 2),
    });
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') {
  const [engine, dir] = [process.argv[3] as Engine, process.argv[4]!];
  console.log(JSON.stringify(engine === 'savedModel' ? await runSavedModel(dir) : await runNx(dir, engine === 'jit')));
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await benchJitDesigns(), null, 2));
}
