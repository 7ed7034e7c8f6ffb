/**
 * A weight gradient computed as row blocks (a split product) that only feeds a fused Adam update
 * goes to it unjoined (`RavenAdamUpdate` with N > 1), in the graph rewrite and, on the native
 * backend, in a jitted update against the eager one. XLA graphs get the concatenation back.
 */
import { availableParallelism } from 'node:os';
import * as nx from '@raven/nx';
import { describe, expect, it } from 'vitest';
import { expandFusedOps } from '../../src/jit/expand-fused.js';
import { DT, type NodeDef } from '../../src/jit/proto.js';
import { feedRowBlocks } from '../../src/jit/split-gradients.js';
import { splitProducts } from '../../src/jit/split-products.js';
import { registeredFunctionDefText } from '../_native.js';

const native = nx.backendInfo().backend === 'tensorflow';
const FLOAT = { kind: 'type', value: DT.float32 } as const;
const placeholder = (name: string): NodeDef => ({ name, op: 'Placeholder', inputs: [], attrs: { dtype: FLOAT } });
const adam = (name: string, grad: string): NodeDef => ({
  name,
  op: 'RavenAdamUpdate',
  inputs: [grad, 'm:0', 'v:0', 'e:0', 's:0'],
  attrs: { N: { kind: 'i', value: 1 }, b1: { kind: 'f', value: 0.9 }, one_minus_b1: { kind: 'f', value: 0.1 }, b2: { kind: 'f', value: 0.999 }, one_minus_b2: { kind: 'f', value: 0.001 } },
});

/** dz^T x (128x128 by 128x784: a weight gradient of 0.87 MB, split in two) feeding `consumers`, rewritten. */
function graph(consumers: NodeDef[], outputs: string[] = []): NodeDef[] {
  const shapes: Record<string, number[]> = { 'dz:0': [128, 128], 'x:0': [128, 784] };
  const product: NodeDef = { name: 'g', op: 'MatMul', inputs: ['dz:0', 'x:0'], attrs: { T: FLOAT, transpose_a: { kind: 'b', value: true }, transpose_b: { kind: 'b', value: false } } };
  const nodes = [...['dz', 'x', 'm', 'v', 'e', 's'].map(placeholder), product, ...consumers];
  return feedRowBlocks(splitProducts(nodes, (i) => shapes[i], 2, 1024 * 1024), outputs);
}

describe('feedRowBlocks (the graph rewrite)', () => {
  it('gives the update the product\'s row blocks and drops their concatenation', () => {
    const out = graph([adam('u', 'g:0')]);
    const u = out.find((n) => n.name === 'u')!;
    expect(u.inputs).toEqual(['g_part0:0', 'g_part1:0', 'm:0', 'v:0', 'e:0', 's:0']);
    expect(u.attrs['N']).toEqual({ kind: 'i', value: 2 });
    expect(out.some((n) => n.op === 'ConcatV2' || n.name === 'g_concat_axis')).toBe(false);
    // every input names a node of the graph
    const names = new Set(out.map((n) => n.name));
    for (const n of out) for (const i of n.inputs) expect(names.has(i.split(':')[0]!), `${n.name} <- ${i}`).toBe(true);
  });

  it('keeps the concatenation when the gradient is used elsewhere or returned', () => {
    const norm: NodeDef = { name: 'sq', op: 'Square', inputs: ['g:0'], attrs: { T: FLOAT } };
    for (const out of [graph([adam('u', 'g:0'), norm]), graph([adam('u', 'g:0')], ['g:0'])]) {
      expect(out.find((n) => n.name === 'u')!.inputs[0]).toBe('g:0');
      expect(out.find((n) => n.name === 'g')!.op).toBe('ConcatV2');
    }
  });

  it('for XLA, the fused update\'s blocks are joined again before its elementwise ops', () => {
    const r = expandFusedOps(graph([adam('u', 'g:0')]), ['u:2']);
    const byName = new Map(r.nodes.map((n) => [n.name, n]));
    expect(byName.get('u_adam_grad')).toMatchObject({ op: 'ConcatV2', inputs: ['g_part0:0', 'g_part1:0', 'u_adam_grad_axis:0'] });
    expect(byName.get('u_adam_grad_scaled')!.inputs).toEqual(['u_adam_grad:0', 'u_adam_c1:0']);
    expect(byName.get('u_adam_mu_decayed')!.inputs).toEqual(['m:0', 'u_adam_b1:0']);
    expect(r.outputNames).toEqual(['u_adam_update:0']);
  });
});

describe.runIf(native)('a jitted Adam update of a split weight gradient', () => {
  it('equals the eager update, and the graph feeds the blocks to RavenAdamUpdate without ConcatV2', () => {
    const [kz, kx, km] = nx.random.split(nx.random.key(3), 3);
    const dz = nx.random.normal(kz!, [128, 128]);
    const x = nx.random.normal(kx!, [128, 784]);
    const m = nx.mul(nx.random.normal(km!, [128, 784]), 0.01);
    const v = nx.mul(nx.square(m), 2);
    const o = { b1: 0.9, b2: 0.999, epsHat: 1e-8, stepScale: 0.3 };
    const update = (dz_: nx.Tensor, x_: nx.Tensor, m_: nx.Tensor, v_: nx.Tensor): nx.Tensor[] => {
      const r = nx.adamUpdate(nx.matmul(nx.transpose(dz_), x_), m_, v_, o);
      return [r.mu, r.nu, r.update];
    };
    const f = nx.jit(update, { name: 'splitGradientsTest' });
    const got = f(dz, x, m, v);
    const want = nx.scope(() => update(dz, x, m, v));
    for (let i = 0; i < 3; i++) {
      const rel = nx.item(nx.scope(() => nx.div(nx.max(nx.abs(nx.sub(got[i]!, want[i]!))), nx.max(nx.abs(want[i]!))))) as number;
      expect(rel, `output ${i}`).toBeLessThan(1e-5);
    }
    const text = registeredFunctionDefText('splitGradientsTest');
    expect(text).toBeDefined();
    if (availableParallelism() >= 2 && !nx.backendInfo().tensorflow?.gpu) {
      expect(text!).toContain('SplitV');
      expect(text!).toContain('RavenAdamUpdate');
      expect(text!).not.toContain('ConcatV2');
    }
    nx.dispose([dz, x, m, v, ...got, ...want]);
    f.dispose();
  });
});
