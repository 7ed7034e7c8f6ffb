import * as tf from '@tensorflow/tfjs-core';
import * as nx from '@raven/nx';
import { Layer, Loss, Optim, Train } from '@raven/kaun';
const model = Layer.sequential([Layer.linear({ inFeatures: 784, outFeatures: 128 }), Layer.relu(), Layer.linear({ inFeatures: 128, outFeatures: 10 })]);
const trainer = Train.make({ model, optimizer: Optim.adam({ lr: 1e-3 }), loss: Loss.softmaxCrossEntropy });
let state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
const batch = { x: nx.ones([128, 784]), y: nx.zeros([128], 'int32') };
for (let i = 0; i < 3; i++) { const r = Train.step(trainer, state, batch); state = r.state; nx.dispose(r.loss); }
const prof = await tf.profile(() => { const r = Train.step(trainer, state, batch); state = r.state; nx.dispose(r.loss); });
console.log(prof.kernels.map((k) => `${k.name}${JSON.stringify(k.inputShapes)}`).join('\n'));
