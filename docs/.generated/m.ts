import { Datasets } from '@raven/kaun';
let t = performance.now();
const d = await Datasets.mnist();
console.log(d.source, d.train.count, (performance.now() - t) / 1000);
t = performance.now();
const d2 = await Datasets.mnist({ offline: true });
console.log(d2.source, (performance.now() - t) / 1000);
