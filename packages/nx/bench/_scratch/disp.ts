import * as tf from '@tensorflow/tfjs-core';
import * as nx from '../../src/index.js';
const a = nx.ones([1]);
for (const [name, f] of [['tf.add', () => tf.add(a, a)], ['nx.add', () => nx.add(a, a)]] as const) {
  for (let rep = 0; rep < 3; rep++) {
    let t = performance.now();
    tf.tidy(() => { for (let i = 0; i < 2000; i++) f(); });
    const tidyAll = (performance.now() - t) / 2000 * 1e3;
    t = performance.now();
    for (let i = 0; i < 2000; i++) f().dispose();
    const disp = (performance.now() - t) / 2000 * 1e3;
    t = performance.now();
    tf.tidy(() => { let last: tf.Tensor | undefined; for (let i = 0; i < 2000; i++) { last?.dispose(); last = f(); } });
    const mine = (performance.now() - t) / 2000 * 1e3;
    console.log(nx.backendInfo().backend, name, 'tidy-all', tidyAll.toFixed(1), 'dispose-each', disp.toFixed(1), 'dispose-in-tidy', mine.toFixed(1), 'us');
  }
}
