import * as tf from '@tensorflow/tfjs-core';
import * as nx from '@raven/nx';
import { Ptree } from '@raven/kaun';
import { Bert } from '@raven/kaun-hf';
const { model, vars } = await Bert.fromPretrained('fixtures/bert-mini-mlm', { logger: false, tokenizer: false });
const B = 16, L = 128;
const ids = nx.random.randint(nx.random.key(1), [B, L], 0, 30000);
const mask = nx.ones([B, L], 'int32');
const labels = nx.random.randint(nx.random.key(2), [B], 0, 2);
const { leaves, rebuild } = Ptree.flatten(vars.params);
const f = nx.valueAndGrad((...ps: nx.Tensor[]) => model.apply({ ...vars, params: rebuild(ps) }, { inputIds: ids, attentionMask: mask, labels }, { training: true, key: nx.random.key(3) }).y.loss!);
for (let i = 0; i < 2; i++) { const r = f(...leaves); nx.dispose(r); }
const prof = await tf.profile(() => { const r = f(...leaves); return [r.value, ...r.grads]; });
const by = new Map<string, [number, number]>();
for (const k of prof.kernels) { const e = by.get(k.name) ?? [0, 0]; e[0] += Number(k.kernelTimeMs) || 0; e[1] += 1; by.set(k.name, e); }
const rows = [...by.entries()].sort((a, b) => b[1][0] - a[1][0]).slice(0, 20);
for (const [n, [ms, c]] of rows) console.log(n.padEnd(28), ms.toFixed(1).padStart(8), 'ms', c);
console.log('total', [...by.values()].reduce((s, [m]) => s + m, 0).toFixed(0), 'ms');
