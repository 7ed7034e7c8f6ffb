import * as nx from '../../src/index.js';
const x = nx.fromArray(Float32Array.from({ length: 50 }, (_, i) => Math.sin(i * 1.3)), { shape: [1, 2, 5, 5] });
console.log(nx.backendInfo().backend);
console.log('max', JSON.stringify(nx.checkGrad((x) => nx.sum(nx.square(nx.maxPool2d(x!, { kernelSize: 2 }))), [x]).worst));
console.log('avg same s1', JSON.stringify(nx.checkGrad((x) => nx.sum(nx.square(nx.avgPool2d(x!, { kernelSize: 3, stride: 1, padding: 'same' }))), [x]).worst));
console.log('avg valid s1', JSON.stringify(nx.checkGrad((x) => nx.sum(nx.square(nx.avgPool2d(x!, { kernelSize: 3, stride: 1, padding: 'valid' }))), [x]).worst));
console.log('avg same s2', JSON.stringify(nx.checkGrad((x) => nx.sum(nx.square(nx.avgPool2d(x!, { kernelSize: 3, stride: 2, padding: 'same' }))), [x]).worst));
