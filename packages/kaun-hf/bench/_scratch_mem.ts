import * as nx from '@raven/nx';
import * as tf from '@tensorflow/tfjs-core';
if (process.env['SHARE'] === '1') {
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: ({ inputs, backend }) => {
    const x = (inputs as { x: tf.TensorInfo }).x;
    (backend as unknown as { incRef(d: unknown): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  } });
}
import { Ptree } from '@raven/kaun';
import { Bert } from '@raven/kaun-hf';
const B = Number(process.env['B'] ?? 2);
const config = Bert.parseConfig({ num_labels: 2 });
const model = Bert.bertForSequenceClassification(config);
const vars = model.init({ key: nx.random.key(0) });
const ids = nx.random.randint(nx.random.key(1), [B, 128], 0, 30000);
const labels = nx.random.randint(nx.random.key(2), [B], 0, 2);
const { leaves, rebuild } = Ptree.flatten(vars.params);
const mib = () => (nx.memory().numBytes / 2 ** 20).toFixed(0);
console.log('params', mib());
let peak = 0;
const f = nx.valueAndGrad((...ps: nx.Tensor[]) => {
  const r = model.apply({ ...vars, params: rebuild(ps) }, { inputIds: ids, labels }, { training: true, key: nx.random.key(3) }).y.loss!;
  peak = nx.memory().numBytes;
  const tape = (tf.engine().state as unknown as { activeTape: Array<{ kernelName: string; saved?: tf.Tensor[]; outputs: tf.Tensor[] }> }).activeTape;
  const by = new Map<string, [number, number, number]>();
  const seen = new Set<unknown>();
  for (const n of tape) {
    const e = by.get(n.kernelName) ?? [0, 0, 0];
    for (const t of n.saved ?? []) if (!t.isDisposed && !seen.has(t.dataId)) { seen.add(t.dataId); e[0] += t.size * 4; }
    for (const t of n.outputs) if (!t.isDisposed && !seen.has(t.dataId)) { seen.add(t.dataId); e[1] += t.size * 4; }
    e[2]++; by.set(n.kernelName, e);
  }
  for (const [k, [sv, out, c]] of [...by.entries()].sort((a, b) => b[1][0] + b[1][1] - a[1][0] - a[1][1]).slice(0, 14)) console.log(k.padEnd(20), 'saved', (sv / 2 ** 20).toFixed(1).padStart(8), 'live outputs', (out / 2 ** 20).toFixed(1).padStart(8), c);
  return r;
});
const t = performance.now();
const { value, grads } = f(...leaves);
const heap = ((tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length / 2 ** 20).toFixed(0);
console.log('wasm heap MiB', heap, 'identity', tf.getKernel('Identity', 'wasm')?.kernelFunc.toString().slice(0, 80));
console.log('after forward (peak)', (peak / 2 ** 20).toFixed(0), 'after grads', mib(), 'seconds', ((performance.now() - t) / 1000).toFixed(1), nx.item(value));
