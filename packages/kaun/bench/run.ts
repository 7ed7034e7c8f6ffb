/**
 * kaun benchmark (`npm run bench -w @raven/kaun`): prints JSON with
 * - `mlp`: the MNIST MLP 784-128-10, batch 128, Adam: `Train.step` steps/s over real batches, and
 *   one full 60,000-example epoch of `Train.fit` (seconds, samples/s);
 * - `handLoop`: the same epoch with a hand-written loop (nx.valueAndGrad over four tensors,
 *   weights stored as [in, out] so no transposes, Adam written out with nx ops, the loss summed
 *   on the device), and `fitOverhead` = fit epoch / hand epoch - 1;
 * - `cnn`: the example CNN (conv 5x5 1->16, pool, conv 5x5 16->32, pool, linear 512->10), batch
 *   128, Adam: steps/s;
 * - `checkpoint`: `benchCheckpoint()` from `bench/checkpoint.ts` when that file exists;
 * - `jit`: `benchJit()` from `bench/jit.ts` (eager vs nx.jit on the native backend, PyTorch beside).
 * Every figure has wall and CPU (user + system of this process) time; on a shared machine the
 * CPU time is the steadier one.
 */
import { existsSync } from 'node:fs';
import * as nx from '@raven/nx';
import { Data, Datasets, Layer, Loss, Optim, Train } from '@raven/kaun';

type Batches = Data.Dataset<{ x: nx.Tensor; y: nx.Tensor }>;

function batchesOf(split: Datasets.ImageSplit, batchSize: number, seed: number): Batches {
  return Data.fromArrays({
    x: { data: split.images, shape: [split.count, 784], dtype: 'float32' },
    y: { data: split.labels, shape: [split.count], dtype: 'int32' },
  }).shuffle(nx.random.key(seed)).batch(batchSize).map(({ x, y }) => ({ x: nx.mul(x, 1 / 255), y }));
}

interface Timing { wallSeconds: number; cpuSeconds: number }

async function timed(f: () => Promise<void> | void): Promise<Timing> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const c = process.cpuUsage(c0);
  return { wallSeconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
}

const round = (v: number, digits = 3) => Number(v.toFixed(digits));

function mlp(): Layer.Layer {
  return Layer.sequential([Layer.linear({ inFeatures: 784, outFeatures: 128 }), Layer.relu(), Layer.linear({ inFeatures: 128, outFeatures: 10 })]);
}

function cnn(): Layer.Layer {
  return Layer.sequential([
    Layer.fn((x: nx.Tensor) => nx.reshape(x, [-1, 1, 28, 28])),
    Layer.conv2d({ inChannels: 1, outChannels: 16, kernelSize: 5 }), Layer.relu(), Layer.maxPool2d({ kernelSize: 2 }),
    Layer.conv2d({ inChannels: 16, outChannels: 32, kernelSize: 5 }), Layer.relu(), Layer.maxPool2d({ kernelSize: 2 }),
    Layer.flatten(), Layer.linear({ inFeatures: 512, outFeatures: 10 }),
  ]);
}

/** `Train.step` over `n` batches (after 5 warm-up steps): steps per second. */
async function stepsPerSecond(model: Layer.Layer, data: Batches, n: number): Promise<Timing & { stepsPerSecond: number; stepsPerCpuSecond: number }> {
  const trainer = Train.make({ model, optimizer: Optim.adam({ lr: 1e-3 }), loss: Loss.softmaxCrossEntropy });
  let state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
  const it = data.iterate(0)[Symbol.iterator]();
  const run = (k: number) => {
    for (let i = 0; i < k; i++) {
      const b = it.next().value!;
      const r = Train.step(trainer, state, b);
      state = r.state;
      nx.dispose([b, r.loss]);
    }
  };
  run(5);
  const t = await timed(() => run(n));
  it.return?.();
  nx.dispose([state.vars.params, state.optState]);
  return { ...t, stepsPerSecond: round(n / t.wallSeconds, 1), stepsPerCpuSecond: round(n / t.cpuSeconds, 1) };
}

/** One epoch of the hand-written loop: returns the timing and the mean loss. */
async function handEpoch(data: Batches): Promise<Timing & { loss: number }> {
  const key = nx.random.split(nx.random.key(0), 2);
  const bound = (fanIn: number) => 1 / Math.sqrt(fanIn);
  let params = [
    nx.random.uniform(key[0]!, [784, 128], { low: -bound(784), high: bound(784) }), nx.zeros([128]),
    nx.random.uniform(key[1]!, [128, 10], { low: -bound(128), high: bound(128) }), nx.zeros([10]),
  ];
  let m = params.map((p) => nx.zerosLike(p));
  let v = params.map((p) => nx.zerosLike(p));
  const [lr, b1, b2, eps] = [1e-3, 0.9, 0.999, 1e-8];
  let lossSum = nx.scalar(0);
  let count = 0;
  let t = 0;
  const timing = await timed(() => {
    for (const { x, y } of data.iterate(0)) {
      t++;
      const next = nx.scope(() => {
        const { value, grads } = nx.valueAndGrad((w1: nx.Tensor, c1: nx.Tensor, w2: nx.Tensor, c2: nx.Tensor) => {
          const h = nx.relu(nx.add(nx.matmul(x, w1), c1));
          return Loss.softmaxCrossEntropy(nx.add(nx.matmul(h, w2), c2), y);
        })(...params);
        const c1 = 1 - b1 ** t;
        const c2 = Math.sqrt(1 - b2 ** t);
        const m2 = m.map((mi, i) => nx.add(nx.mul(mi, b1), nx.mul(grads[i]!, 1 - b1)));
        const v2 = v.map((vi, i) => nx.add(nx.mul(vi, b2), nx.mul(nx.square(grads[i]!), 1 - b2)));
        const p2 = params.map((p, i) => nx.sub(p, nx.mul(nx.div(m2[i]!, nx.add(nx.div(nx.sqrt(v2[i]!), c2), eps)), lr / c1)));
        return { p2, m2, v2, sum: nx.add(lossSum, nx.mul(value, x.shape[0]!)) };
      });
      nx.dispose([params, m, v, lossSum, x, y]);
      params = next.p2; m = next.m2; v = next.v2; lossSum = next.sum;
      count += x.shape[0]!;
    }
  });
  const loss = Number(nx.item(lossSum)) / count;
  nx.dispose([params, m, v, lossSum]);
  return { ...timing, loss };
}

async function main(): Promise<void> {
  const { train } = await Datasets.mnist();
  const out: Record<string, unknown> = { backend: nx.backendInfo(), node: process.version };

  const steps = await stepsPerSecond(mlp(), batchesOf(train, 128, 1), 100);
  const model = mlp();
  const trainer = Train.make({ model, optimizer: Optim.adam({ lr: 1e-3 }), loss: Loss.softmaxCrossEntropy });
  let history: Record<string, number[]> = {};
  const fitEpoch = await timed(async () => {
    const r = await Train.fit(trainer, Train.makeState(trainer, model.init({ key: nx.random.key(0) })), batchesOf(train, 128, 2), { epochs: 1, progress: false });
    history = r.history;
    nx.dispose([r.state.vars.params, r.state.optState]);
  });
  const hand = await handEpoch(batchesOf(train, 128, 2));
  out['mlp'] = {
    model: '784-128-10, batch 128, Adam 1e-3',
    trainStep: { stepsPerSecond: steps.stepsPerSecond, stepsPerCpuSecond: steps.stepsPerCpuSecond },
    fitEpoch: { seconds: round(fitEpoch.wallSeconds), cpuSeconds: round(fitEpoch.cpuSeconds), samplesPerSecond: Math.round(60000 / fitEpoch.wallSeconds), loss: round(history['loss']![0]!, 4) },
  };
  out['handLoop'] = { seconds: round(hand.wallSeconds), cpuSeconds: round(hand.cpuSeconds), samplesPerSecond: Math.round(60000 / hand.wallSeconds), loss: round(hand.loss, 4) };
  out['fitOverhead'] = { wall: round(fitEpoch.wallSeconds / hand.wallSeconds - 1), cpu: round(fitEpoch.cpuSeconds / hand.cpuSeconds - 1) };
  const c = await stepsPerSecond(cnn(), batchesOf(train, 128, 3), 20);
  out['cnn'] = { model: 'conv5x5(1->16)-pool-conv5x5(16->32)-pool-linear(512->10), batch 128, Adam', stepsPerSecond: c.stepsPerSecond, stepsPerCpuSecond: c.stepsPerCpuSecond, samplesPerSecond: Math.round(c.stepsPerSecond * 128) };
  out['liveTensorsAfter'] = nx.memory().numTensors;

  const checkpointBench = new URL('./checkpoint.ts', import.meta.url);
  if (existsSync(checkpointBench)) {
    const mod = (await import(checkpointBench.href)) as { benchCheckpoint?: () => Promise<object> };
    if (typeof mod.benchCheckpoint === 'function') out['checkpoint'] = await mod.benchCheckpoint();
  }
  const jitBench = new URL('./jit.ts', import.meta.url);
  if (existsSync(jitBench)) out['jit'] = await ((await import(jitBench.href)) as { benchJit: () => Promise<object> }).benchJit();
  console.log(JSON.stringify(out, null, 2));
}

await main();
