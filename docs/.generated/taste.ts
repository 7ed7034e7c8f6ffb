import * as nx from '@raven/nx';
import { Data, Layer, Loss, Optim, Train } from '@raven/kaun';

const model = Layer.sequential([
  Layer.linear({ inFeatures: 2, outFeatures: 8 }),
  Layer.tanh(),
  Layer.linear({ inFeatures: 8, outFeatures: 1 }),
]);
const vars = model.init({ key: nx.random.key(0) });
const trainer = Train.make({ model, optimizer: Optim.adam({ lr: 0.05 }), loss: Loss.sigmoidBinaryCrossEntropy });

const x = nx.fromArray([[0, 0], [0, 1], [1, 0], [1, 1]]);
const y = nx.fromArray([[0], [1], [1], [0]]);
const data = Data.fromTensors({ x, y }).batch(4);
const { state } = await Train.fit(trainer, Train.makeState(trainer, vars), data, { epochs: 300, progress: false });
console.log(nx.toArray(nx.sigmoid(Train.predict(trainer, state, x))));
