import * as nx from '../../src/index.js';
import { timeIt, uniform } from '../measure.js';
const a = nx.ones([1]);
const d = () => (timeIt(() => nx.add(a, a), { inner: 2000, budgetMs: 300 }) * 1e3).toFixed(2);
console.log('fresh', d());
for (const n of [256, 512, 1024]) { const x = uniform([n, n]); const y = uniform([n, n]); timeIt(() => nx.matmul(x, y), { budgetMs: 200, maxSamples: 3 }); nx.dispose([x, y]); }
console.log('after matmuls', d());
const x = uniform([1 << 20]); const y = uniform([1 << 20]);
timeIt(() => nx.add(x, y), { inner: 10, budgetMs: 300 });
console.log('after add 1M', d());
nx.dispose([x, y]);
console.log('after free', d(), nx.memory());
