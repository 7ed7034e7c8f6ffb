import * as nx from '@raven/nx';
import { Layer, Loss, Optim, Train } from '@raven/kaun';
const x = nx.random.uniform(nx.random.key(5), [4, 8]);
const y = nx.fromArray(Int32Array.from({ length: 4 }, (_, i) => i % 2));
const model = Layer.sequential([Layer.linear({ inFeatures: 8, outFeatures: 8 }), Layer.relu(), Layer.linear({ inFeatures: 8, outFeatures: 2 })]);
const trainer = Train.make({ model, optimizer: Optim.adam(), loss: Loss.softmaxCrossEntropy });
let state = Train.makeState(trainer, model.init({ key: nx.random.key(0) }));
for (let i = 0; i < 5000; i++) { const r = Train.step(trainer, state, { x, y }); state = r.state; nx.dispose(r.loss); }
