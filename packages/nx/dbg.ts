import * as nx from '@raven/nx';
const show = (f: () => nx.Tensor) => { try { const t = f(); return `${JSON.stringify(nx.toArray(t))} ${t.dtype} [${t.shape}]`; } catch (e) { return `ERR ${(e as Error).name}: ${(e as Error).message.slice(0, 80)}`; } };
console.log(nx.backendInfo().backend);
for (const op of ['sum', 'prod', 'mean', 'max', 'min', 'logsumexp', 'variance', 'std', 'all', 'any', 'argmax', 'cumsum'] as const) {
  const f = (nx as any)[op];
  console.log(op, '|', show(() => f(nx.zeros([0]))), '|', show(() => f(nx.zeros([0], 'int32'))), '|', show(() => f(nx.zeros([3, 0]), { axis: 1 })), '|', show(() => f(nx.zeros([0, 3]), { axis: 0 })), '|', show(() => f(nx.zeros([0, 3]), { axis: 1 })));
}
