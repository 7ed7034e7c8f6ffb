/**
 * Cost of nx's freed-tensor check (`npm run bench:disposed -w @raven/kaun`) on the MNIST MLP
 * 784-128-10, batch 128, Adam, one 60,000-example epoch of `Train.fit`. Two measurements:
 *
 * - `epochs`: epochs with the check on and off in interleaved pairs (on/off, then off/on, ...) in
 *   one process after a warm-up epoch, so a busy machine slows both sides alike: the wall and CPU
 *   seconds of every epoch and the median over pairs of (on / off - 1) in percent. On a shared
 *   machine this swings by more than the check costs.
 * - `estimate`: the steadier figure. The kernels one epoch runs are counted; the check's own cost
 *   per kernel is timed on a no-op kernel (millions of calls, with and without the check,
 *   interleaved); their product over the median epoch time is the overhead in percent.
 *
 * `PAIRS=n` sets the number of epoch pairs (default 6).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as nx from '@raven/nx';
import { Data, Datasets, Layer, Loss, Optim, Train } from '@raven/kaun';
// the switch is internal to nx (the check is always on for users); the bench reaches it by path
import { disposedCheckOn, setDisposedCheck } from '../../nx/src/disposed/guard.js';

const pairs = Number(process.env['PAIRS'] ?? 6);
const mnist = await Datasets.mnist();
const data = Data.fromArrays({
  x: { data: mnist.train.images, shape: [mnist.train.count, 784], dtype: 'float32' },
  y: { data: mnist.train.labels, shape: [mnist.train.count], dtype: 'int32' },
}).shuffle(nx.random.key(0)).batch(128).map(({ x, y }) => ({ x: nx.mul(x, 1 / 255), y }));

const model = Layer.sequential([Layer.linear({ inFeatures: 784, outFeatures: 128 }), Layer.relu(), Layer.linear({ inFeatures: 128, outFeatures: 10 })]);
const trainer = Train.make({ model, optimizer: Optim.adam({ lr: 1e-3 }), loss: Loss.softmaxCrossEntropy });
let state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
let epoch = 0;

async function runEpoch(check: boolean): Promise<{ wall: number; cpu: number }> {
  setDisposedCheck(check);
  if (disposedCheckOn() !== check) throw new Error('the check did not switch');
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  ({ state } = await Train.fit(trainer, state, data, { initialEpoch: epoch, epochs: epoch + 1, progress: false }));
  const c = process.cpuUsage(c0);
  epoch++;
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

const median = (v: number[]): number => { const s = [...v].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const r3 = (v: number) => Number(v.toFixed(3));

await runEpoch(true); // warm-up: JIT, kernels, caches
const on: Array<{ wall: number; cpu: number }> = [];
const off: Array<{ wall: number; cpu: number }> = [];
for (let p = 0; p < pairs; p++) {
  const first = p % 2 === 0;
  const a = await runEpoch(first);
  const b = await runEpoch(!first);
  on.push(first ? a : b);
  off.push(first ? b : a);
}

// kernels per epoch, counted on the engine (check off, a counter in its place)
type RunKernel = (name: string, inputs: Record<string, unknown>, attrs?: unknown) => unknown;
const engine = tf.engine() as unknown as { runKernel: RunKernel };
setDisposedCheck(false);
const real = engine.runKernel;
let kernels = 0;
engine.runKernel = function counted(this: unknown, name, inputs, attrs) { kernels++; return real.call(this, name, inputs, attrs); };
await runEpoch(false);
engine.runKernel = real;

// the check's cost per kernel: a no-op kernel called with two real input tensors, with and without the check
const inputs = { a: nx.ones([128, 128]), b: nx.ones([128]) };
const CALLS = 2_000_000;
const timeCalls = (): number => {
  const t0 = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) engine.runKernel('Add', inputs);
  const c = process.cpuUsage(t0);
  return ((c.user + c.system) * 1000) / CALLS; // ns per call
};
engine.runKernel = function noop() { return undefined; };
const perCall: number[] = [];
for (let r = 0; r < 7; r++) {
  setDisposedCheck(false);
  const bare = timeCalls();
  setDisposedCheck(true);
  const checked = timeCalls();
  perCall.push(checked - bare);
}
setDisposedCheck(false);
engine.runKernel = real;
setDisposedCheck(true);
nx.dispose([inputs.a, inputs.b]);
const nsPerKernel = median(perCall);
const offEpoch = median(off.map((o) => o.wall));

const pct = (k: 'wall' | 'cpu') => r3(median(on.map((o, i) => (o[k] / off[i]![k] - 1) * 100)));
console.log(JSON.stringify({
  bench: 'freed-tensor check, MNIST MLP epoch (Train.fit, 60k, batch 128, Adam)',
  backend: nx.backendInfo().backend,
  pairs,
  onWallSeconds: on.map((o) => r3(o.wall)),
  offWallSeconds: off.map((o) => r3(o.wall)),
  onCpuSeconds: on.map((o) => r3(o.cpu)),
  offCpuSeconds: off.map((o) => r3(o.cpu)),
  medianOnWall: r3(median(on.map((o) => o.wall))),
  medianOffWall: r3(median(off.map((o) => o.wall))),
  overheadWallPercent: pct('wall'),
  overheadCpuPercent: pct('cpu'),
  estimate: {
    kernelsPerEpoch: kernels,
    checkNsPerKernel: perCall.map((v) => r3(v)),
    medianCheckNsPerKernel: r3(nsPerKernel),
    secondsPerEpoch: r3((kernels * nsPerKernel) / 1e9),
    overheadPercentOfMedianOffEpoch: r3(((kernels * nsPerKernel) / 1e9 / offEpoch) * 100),
  },
}, null, 2));
nx.dispose([state.vars.params, state.optState]);
