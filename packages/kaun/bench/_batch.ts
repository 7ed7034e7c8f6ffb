import * as nx from '@raven/nx';
import { Datasets } from '@raven/kaun';
const { train } = await Datasets.mnist({ offline: true });
const data = train.images;
const idx = nx.random.permutationArray(nx.random.key(0), 60000);
function cpu(label: string, n: number, f: (i: number) => void) {
  for (let i = 0; i < 5; i++) f(i);
  let best = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) f(i);
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1000 / n);
  }
  console.log(label.padEnd(40), best.toFixed(3), 'ms cpu');
}
const rs = 784;
cpu('set rows u8->f32 (subarray)', 200, (k) => { const buf = new Float32Array(128 * rs); for (let i = 0; i < 128; i++) { const r = idx[(k * 128 + i) % 60000]!; buf.set(data.subarray(r * rs, r * rs + rs), i * rs); } });
cpu('loop rows u8->f32', 200, (k) => { const buf = new Float32Array(128 * rs); for (let i = 0; i < 128; i++) { const r = idx[(k * 128 + i) % 60000]! * rs; const o = i * rs; for (let j = 0; j < rs; j++) buf[o + j] = data[r + j]!; } });
cpu('loop rows u8->f32 scaled', 200, (k) => { const buf = new Float32Array(128 * rs); const s = 1 / 255; for (let i = 0; i < 128; i++) { const r = idx[(k * 128 + i) % 60000]! * rs; const o = i * rs; for (let j = 0; j < rs; j++) buf[o + j] = data[r + j]! * s; } });
const buf = new Float32Array(128 * rs);
cpu('upload only (fromArray + dispose)', 200, () => { const t = nx.fromArray(buf, { shape: [128, rs] }); nx.dispose(nx.mul(t, 1)); nx.dispose(t); });
cpu('upload + mul 1/255', 200, () => { const t = nx.fromArray(buf, { shape: [128, rs] }); const u = nx.mul(t, 1 / 255); nx.dispose([t, nx.add(u, 0), u]); });
cpu('alloc f32 128x784', 200, () => { new Float32Array(128 * rs); });
import { Data } from '@raven/kaun';
const mk = () => Data.fromArrays({ x: { data: train.images, shape: [train.count, 784], dtype: 'float32' }, y: { data: train.labels, shape: [train.count], dtype: 'int32' } });
for (const [label, ds] of [
  ['contiguous', mk().batch(128)],
  ['shuffled', mk().shuffle(nx.random.key(1)).batch(128)],
  ['shuffled+map', mk().shuffle(nx.random.key(1)).batch(128).map(({ x, y }) => ({ x: nx.mul(x, 1 / 255), y }))],
] as const) {
  const it = (ds as any).iterate(0)[Symbol.iterator]();
  cpu(label, 100, () => { const b = it.next().value; nx.dispose(b); });
}
