import * as nx from '@raven/nx';
import { Data, Datasets, Layer, Loss, Metric, Optim, Train } from '@raven/kaun';

const t0 = performance.now();
const { train, test, source } = await Datasets.mnist();
console.log('load', source, ((performance.now() - t0) / 1000).toFixed(2), 's');
const mk = (s: Datasets.ImageSplit, key?: nx.random.Key) => {
  const src = Data.fromArrays({ x: { data: s.images, shape: [s.count, 784], dtype: 'float32' }, y: { data: s.labels, shape: [s.count], dtype: 'int32' } });
  return (key ? src.shuffle(key) : src).batch(128).map(({ x, y }) => ({ x: nx.mul(x, 1 / 255), y }));
};
const model = Layer.sequential([Layer.linear({ inFeatures: 784, outFeatures: 128 }), Layer.relu(), Layer.linear({ inFeatures: 128, outFeatures: 10 })]);
const trainer = Train.make({ model, optimizer: Optim.adam({ lr: 1e-3 }), loss: Loss.softmaxCrossEntropy, metrics: { accuracy: Metric.accuracy } });
let state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
const epochs = Number(process.argv[2] ?? 1);
const before = nx.memory().numTensors;
const r = await Train.fit(trainer, state, mk(train, nx.random.key(1)), { epochs, validation: mk(test) , progress: 'lines'});
state = r.state;
console.log('tensors', before, nx.memory().numTensors);
console.log(Train.evaluate(trainer, state, mk(test)));
