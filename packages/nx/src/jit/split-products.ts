/**
 * A rewrite of traced graphs for the CPU: large matrix products split by rows into independent
 * products that TensorFlow's executor runs at the same time on its inter-op threads.
 *
 * Why: TensorFlow 2.21's oneDNN `MatMul` runs a product on one thread whenever its operands and
 * result fit in one core's L2 cache (`ExecuteSingleThreadedGemm` in TensorFlow's
 * `mkl_matmul_ops_common.h`: `4 (m n + k (m + n)) < L2` bytes), which is the case for the products
 * of small models (an MNIST MLP's 128x784x128 products: 0.87 MB, under this machine's 1 MiB).
 * Other cores sit idle meanwhile; in a graph, `MatMul(a[:64], b)` and `MatMul(a[64:], b)` are
 * independent ops the executor runs side by side. Larger products, which oneDNN already spreads
 * over the intra-op threads, are left whole. Measured on the 2-core build machine (one intra-op thread, a step's forward
 * 128x784x128 and weight-gradient products): 550-600 us per pair as single products, 415-490 us
 * split in two (`packages/kaun/bench/jit-profile.ts` has the per-product figures).
 * Not used on a GPU, where one kernel already uses the whole device.
 * @module
 */
import { readFileSync } from 'node:fs';
import { DT, type NodeDef } from './proto.js';

/** Products with fewer multiply-adds (m k n) than this stay whole: splitting costs two ops and a copy. */
const MIN_MULTIPLY_ADDS = 4_000_000;
/** Each part keeps at least this many rows. */
const MIN_ROWS = 32;

/**
 * One core's L2 cache in bytes, as Linux reports it (what oneDNN's heuristic compares with);
 * 1 MiB when it cannot be read.
 * @internal
 */
export function l2CacheBytes(): number {
  try {
    const text = readFileSync('/sys/devices/system/cpu/cpu0/cache/index2/size', 'utf8').trim();
    const m = /^(\d+)([KMG]?)$/i.exec(text);
    if (m) return Number(m[1]) * ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as Record<string, number>)[m[2]!.toUpperCase()]!;
  } catch {
    // not Linux, or no such file
  }
  return 1024 * 1024;
}

/** Shape of a node input (`name:index`), when the trace knows it. */
export type ShapeOf = (input: string) => readonly number[] | undefined;

function intConst(name: string, values: number[], shape: number[]): NodeDef {
  const content = new Uint8Array(new Int32Array(values).buffer);
  return {
    name,
    op: 'Const',
    inputs: [],
    attrs: {
      dtype: { kind: 'type', value: DT.int32 },
      value: { kind: 'tensor', value: { dtype: DT.int32, shape, content } },
    },
  };
}

/**
 * The row blocks (`name:index` of each part's product, in order) that a `ConcatV2` made by
 * {@link splitProducts} joins along axis 0; undefined for any other node.
 * @internal
 */
export function rowBlocksOf(node: NodeDef): string[] | undefined {
  const parts = node.inputs.slice(0, -1);
  if (node.op !== 'ConcatV2' || node.inputs[node.inputs.length - 1] !== `${node.name}_concat_axis:0`) return undefined;
  return parts.every((p, i) => p === `${node.name}_part${i}:0`) ? parts : undefined;
}

/**
 * `nodes` with every float32 `MatMul` that oneDNN would run on one thread (its operands and
 * result under `l2Bytes`) and that is large enough to gain (at least 4M multiply-adds) replaced by
 * `parts` products of row blocks of its result (`SplitV` of the left operand, one `MatMul` per
 * block, `ConcatV2` under the product's own name, so its consumers are unchanged). Other
 * products, and all when `parts` < 2, are left as they are.
 * @internal
 */
export function splitProducts(nodes: readonly NodeDef[], shapeOf: ShapeOf, parts: number, l2Bytes: number): NodeDef[] {
  if (parts < 2) return [...nodes];
  const out: NodeDef[] = [];
  for (const node of nodes) {
    const a = node.op === 'MatMul' ? shapeOf(node.inputs[0]!) : undefined;
    const b = node.op === 'MatMul' ? shapeOf(node.inputs[1]!) : undefined;
    const t = node.attrs['T'];
    if (a === undefined || b === undefined || a.length !== 2 || b.length !== 2 || t?.kind !== 'type' || t.value !== DT.float32) {
      out.push(node);
      continue;
    }
    const ta = node.attrs['transpose_a']?.value === true;
    const tb = node.attrs['transpose_b']?.value === true;
    const [m, k] = ta ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
    const n = tb ? b[0]! : b[1]!;
    const p = Math.min(parts, Math.floor(m / MIN_ROWS));
    if (m * k * n < MIN_MULTIPLY_ADDS || 4 * (m * n + k * (m + n)) >= l2Bytes || p < 2) {
      out.push(node);
      continue;
    }
    const sizes = Array.from({ length: p }, (_, i) => Math.floor((m * (i + 1)) / p) - Math.floor((m * i) / p));
    const base = node.name;
    out.push(intConst(`${base}_rows`, sizes, [p]), intConst(`${base}_axis`, [ta ? 1 : 0], []), intConst(`${base}_concat_axis`, [0], []));
    out.push({
      name: `${base}_split`,
      op: 'SplitV',
      inputs: [node.inputs[0]!, `${base}_rows:0`, `${base}_axis:0`],
      attrs: { T: t, Tlen: { kind: 'type', value: DT.int32 }, num_split: { kind: 'i', value: p } },
    });
    for (let i = 0; i < p; i++) {
      out.push({ name: `${base}_part${i}`, op: 'MatMul', inputs: [`${base}_split:${i}`, node.inputs[1]!], attrs: { ...node.attrs } });
    }
    out.push({
      name: base,
      op: 'ConcatV2',
      inputs: [...sizes.map((_, i) => `${base}_part${i}:0`), `${base}_concat_axis:0`],
      attrs: { T: t, N: { kind: 'i', value: p }, Tidx: { kind: 'type', value: DT.int32 } },
    });
  }
  return out;
}
