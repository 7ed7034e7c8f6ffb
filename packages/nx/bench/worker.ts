/**
 * One backend's benchmark (the backend comes from `NX_BACKEND`, chosen when nx is imported):
 * prints one JSON object to stdout. Run by `bench/run.ts`, one child process per backend.
 */
import * as nx from '@raven/nx';
import { round, timeIt, uniform } from './measure.js';

const info = nx.backendInfo();
/** Skip a matmul size whose predicted time per call exceeds this (the cpu backend is slow). */
const MAX_CALL_MS = 1500;

function matmulGflops(sizes: number[], transposed: boolean): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  let predicted = 0;
  for (const n of sizes) {
    if (predicted > MAX_CALL_MS) {
      out[n] = null; // skipped: too slow on this backend
      continue;
    }
    const a = uniform([n, n], 1);
    const b = uniform([n, n], 2);
    // a^T b is what the gradient of x @ w with respect to w computes
    const ms = timeIt(() => (transposed ? nx.matmul(nx.transpose(a), b) : nx.matmul(a, b)), { budgetMs: 600, maxSamples: 7, minSamples: n >= 1024 ? 2 : 3 });
    out[n] = round((2 * n ** 3) / (ms * 1e6));
    predicted = ms * 8;
    nx.dispose([a, b]);
  }
  return out;
}

function elementwise(): { elements: number; msPerOp: number; melemPerS: number; gbPerS: number } {
  const n = 1 << 20;
  const a = uniform([n], 3);
  const b = uniform([n], 4);
  const ms = timeIt(() => nx.add(a, b), { inner: 4, budgetMs: 400, maxSamples: 30 });
  nx.dispose([a, b]);
  // two float32 inputs read and one written per element
  return { elements: n, msPerOp: round(ms), melemPerS: round(n / (ms * 1e3)), gbPerS: round((12 * n) / (ms * 1e6)) };
}

function dispatch(): { usPerTinyOp: number } {
  const a = nx.ones([1]);
  // many short samples: on a busy machine the best of them is the one least disturbed
  const ms = timeIt(() => nx.add(a, a), { inner: 200, budgetMs: 300, maxSamples: 60 });
  a.dispose();
  return { usPerTinyOp: round(ms * 1e3) };
}

/** One step of an MLP 784-128-10 on a batch of 128 (forward, backward, SGD update), in ms. */
function mlpStep(): { msPerStep: number; gradientMatmulGflops: number } {
  const x = uniform([128, 784], 5);
  const labels = nx.oneHot(nx.fromArray(Int32Array.from({ length: 128 }, (_, i) => i % 10)), 10);
  let w1 = nx.mul(uniform([784, 128], 6), 0.05);
  let w2 = nx.mul(uniform([128, 10], 7), 0.1);
  const loss = (w1: nx.Tensor | undefined, w2: nx.Tensor | undefined) =>
    nx.neg(nx.mean(nx.sum(nx.mul(labels, nx.logSoftmax(nx.matmul(nx.relu(nx.matmul(x, w1!)), w2!))), { axis: -1 })));
  const ms = timeIt(() => {
    const { value, grads } = nx.valueAndGrad(loss)(w1, w2);
    const n1 = nx.keep(nx.sub(w1, nx.mul(grads[0]!, 0.01)));
    const n2 = nx.keep(nx.sub(w2, nx.mul(grads[1]!, 0.01)));
    nx.dispose([w1, w2]);
    w1 = n1;
    w2 = n2;
    return value;
  }, { inner: 3, budgetMs: 600 });
  // the weight gradient x^T dz, [784, 128] x [128, 128]
  const dz = uniform([128, 128], 8);
  const gms = timeIt(() => nx.matmul(nx.transpose(x), dz), { inner: 3, budgetMs: 300 });
  nx.dispose([x, labels, w1, w2, dz]);
  return { msPerStep: round(ms), gradientMatmulGflops: round((2 * 784 * 128 * 128) / (gms * 1e6)) };
}

const t0 = performance.now();
const result = {
  backend: info,
  matmulGflops: matmulGflops([256, 512, 1024], false),
  transposedMatmulGflops: matmulGflops([256, 512, 1024], true),
  elementwiseAdd: elementwise(),
  dispatch: dispatch(),
  mlp784x128x10Batch128: mlpStep(),
  seconds: 0,
};
result.seconds = round((performance.now() - t0) / 1e3);
process.stdout.write(JSON.stringify(result) + '\n');
