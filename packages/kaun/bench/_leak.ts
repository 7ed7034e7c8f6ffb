import * as nx from '@raven/nx';
import { Data, Layer, Loss, Metric, Optim, Train } from '@raven/kaun';
const x = Float32Array.from({ length: 64 * 4 }, (_, i) => Math.sin(i));
const y = Int32Array.from({ length: 64 }, (_, i) => i % 3);
const data = Data.fromArrays({ x: { data: x, shape: [64, 4] }, y }).shuffle(nx.random.key(0)).batch(10);
const variants: Record<string, any> = {
  plain: { opt: () => Optim.adam(), metrics: {} , val: false, drop: false},
  sched: { opt: () => Optim.adamw({ lr: Optim.Schedule.warmupCosine({ peak: 0.01, warmupSteps: 5, decaySteps: 40 }) }), metrics: {}, val: false, drop: false },
  clip: { opt: () => Optim.chain(Optim.clipByGlobalNorm(1), Optim.adam()), metrics: {}, val: false, drop: false },
  acc: { opt: () => Optim.adam(), metrics: { accuracy: Metric.accuracy }, val: false, drop: false },
  f1: { opt: () => Optim.adam(), metrics: { f1: Metric.confusion({ metric: 'f1', numClasses: 3 }) }, val: false, drop: false },
  val: { opt: () => Optim.adam(), metrics: {}, val: true, drop: false },
  drop: { opt: () => Optim.adam(), metrics: {}, val: false, drop: true },
};
for (const [name, v] of Object.entries(variants)) {
  const layers: any[] = [Layer.linear({ inFeatures: 4, outFeatures: 16 }), Layer.relu()];
  if (v.drop) layers.push(Layer.dropout({ rate: 0.2 }));
  layers.push(Layer.linear({ inFeatures: 16, outFeatures: 3 }));
  const model = Layer.sequential(layers);
  const trainer = Train.make({ model, optimizer: v.opt(), loss: Loss.softmaxCrossEntropy, metrics: v.metrics });
  const state = Train.makeState(trainer, model.init({ key: nx.random.key(2) }));
  const counts: number[] = [];
  await Train.fit(trainer, state, data, { epochs: 4, validation: v.val ? data : undefined, progress: false, callbacks: { onEpochEnd: () => { counts.push(nx.memory().numTensors); } } });
  console.log(name, counts);
}
