/**
 * nx.jit's CPU rewrite of traced graphs: matrix products that oneDNN runs on one thread are split
 * by rows into independent products. The rewrite itself is checked on hand-made graphs (every
 * backend); on the native backend a jitted function with such products must equal the eager one,
 * forward and backward, and its registered graph must hold the split (this machine and CI have
 * at least 2 cores).
 */
import { availableParallelism } from 'node:os';
import * as nx from '@raven/nx';
import { describe, expect, it } from 'vitest';
import { DT, type NodeDef } from '../../src/jit/proto.js';
import { splitProducts } from '../../src/jit/split-products.js';
import { registeredFunctionDefText } from '../_native.js';

const MiB = 1024 * 1024;
const native = nx.backendInfo().backend === 'tensorflow';

const placeholder = (name: string): NodeDef => ({ name, op: 'Placeholder', inputs: [], attrs: { dtype: { kind: 'type', value: DT.float32 } } });
const matmul = (ta: boolean, tb: boolean, dtype: number = DT.float32): NodeDef => ({
  name: 'p',
  op: 'MatMul',
  inputs: ['a:0', 'b:0'],
  attrs: { T: { kind: 'type', value: dtype }, transpose_a: { kind: 'b', value: ta }, transpose_b: { kind: 'b', value: tb } },
});
const relu: NodeDef = { name: 'r', op: 'Relu', inputs: ['p:0'], attrs: { T: { kind: 'type', value: DT.float32 } } };

/** The graph a -> p = a b -> relu, with a and b of the given shapes, rewritten. */
function rewrite(aShape: number[], bShape: number[], ta: boolean, tb: boolean, parts: number, l2 = MiB, dtype: number = DT.float32): NodeDef[] {
  const shapes: Record<string, number[]> = { 'a:0': aShape, 'b:0': bShape };
  return splitProducts([placeholder('a'), placeholder('b'), matmul(ta, tb, dtype), relu], (i) => shapes[i], parts, l2);
}

const intValues = (n: NodeDef): number[] => {
  const v = n.attrs['value'];
  if (v?.kind !== 'tensor' || v.value.content === undefined) throw new Error(`${n.name} is not a constant with content`);
  return Array.from(new Int32Array(v.value.content.slice().buffer));
};

describe('splitProducts (the graph rewrite)', () => {
  it('splits an MLP-sized product by rows of the result, keeping its name for its consumers', () => {
    const out = rewrite([128, 784], [128, 784], false, true, 2); // x W^T: 128x784x128, 0.87 MB
    const byName = new Map(out.map((n) => [n.name, n]));
    expect(out.map((n) => n.op)).toEqual(['Placeholder', 'Placeholder', 'Const', 'Const', 'Const', 'SplitV', 'MatMul', 'MatMul', 'ConcatV2', 'Relu']);
    expect(byName.get('p_split')!.inputs).toEqual(['a:0', 'p_rows:0', 'p_axis:0']);
    expect(intValues(byName.get('p_rows')!)).toEqual([64, 64]);
    expect(intValues(byName.get('p_axis')!)).toEqual([0]); // rows of a
    expect(byName.get('p_part1')!.inputs).toEqual(['p_split:1', 'b:0']);
    expect(byName.get('p_part1')!.attrs['transpose_b']).toEqual({ kind: 'b', value: true });
    expect(byName.get('p')!.op).toBe('ConcatV2');
    expect(byName.get('p')!.inputs).toEqual(['p_part0:0', 'p_part1:0', 'p_concat_axis:0']);
    expect(byName.get('r')!.inputs).toEqual(['p:0']);
  });

  it('a transposed left operand splits along its columns; uneven rows; at most rows/32 parts', () => {
    const t = rewrite([128, 130], [128, 784], true, false, 4); // dz^T x: result 130x784
    expect(intValues(t.find((n) => n.name === 'p_axis')!)).toEqual([1]);
    expect(intValues(t.find((n) => n.name === 'p_rows')!)).toEqual([32, 33, 32, 33]);
    const few = rewrite([64, 1000], [1000, 100], false, false, 4); // 64 rows: 2 parts of 32
    expect(intValues(few.find((n) => n.name === 'p_rows')!)).toEqual([32, 32]);
  });

  it('leaves alone: small products, products over the L2 cache, other dtypes, one part', () => {
    const unchanged = (nodes: NodeDef[]) => expect(nodes.map((n) => n.op)).toEqual(['Placeholder', 'Placeholder', 'MatMul', 'Relu']);
    unchanged(rewrite([128, 128], [128, 10], false, false, 2)); // 0.16M multiply-adds
    unchanged(rewrite([128, 784], [128, 784], false, true, 2, 512 * 1024)); // 0.87 MB over a 512 KiB L2: oneDNN threads it
    unchanged(rewrite([1024, 768], [768, 768], false, false, 2)); // BERT-sized: 7.5 MB
    unchanged(rewrite([128, 784], [128, 784], false, true, 2, MiB, DT.int32));
    unchanged(rewrite([128, 784], [128, 784], false, true, 1));
    unchanged(rewrite([40, 784], [784, 400], false, false, 4)); // 40 rows: one part of 32 at most
  });
});

describe.skipIf(!native)('split products in jitted functions (native backend)', () => {
  it('a jitted MLP layer and its gradient equal the eager ones, and the graph holds the split', () => {
    const x = nx.random.normal(nx.random.key(1), [128, 784]);
    const w = nx.random.normal(nx.random.key(2), [128, 784]);
    const loss = (v: nx.Tensor, xs: nx.Tensor): nx.Tensor => nx.sum(nx.square(nx.relu(nx.matmul(xs, nx.transpose(v)))));
    const f = (v: nx.Tensor, xs: nx.Tensor) => {
      const { value, grads } = nx.valueAndGrad((p: nx.Tensor) => loss(p, xs))(v);
      return { value, grad: grads[0]! };
    };
    const jf = nx.jit(f, { name: 'splitProductsTest' });
    let text = '';
    try {
      const eager = f(w, x);
      for (let i = 0; i < 3; i++) {
        const r = jf(w, x);
        const rel = (a: nx.Tensor, b: nx.Tensor) => (nx.item(nx.scope(() => nx.div(nx.max(nx.abs(nx.sub(a, b))), nx.max(nx.abs(b))))) as number);
        expect(rel(r.value, eager.value)).toBeLessThan(1e-5);
        expect(rel(r.grad, eager.grad)).toBeLessThan(1e-5);
        nx.dispose([r.value, r.grad]);
      }
      nx.dispose([eager.value, eager.grad]);
      const def = registeredFunctionDefText('splitProductsTest');
      expect(def).toBeDefined();
      text = def!;
    } finally {
      jf.dispose();
      nx.dispose([x, w]);
    }
    if (availableParallelism() >= 2) expect(text).toContain('SplitV');
    expect(text).toContain('MatMul');
  });
});
