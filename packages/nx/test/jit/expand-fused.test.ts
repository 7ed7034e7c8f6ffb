/**
 * `jit: {xla: true}` graphs hold only standard ops: nx's fused Adam update (a CPU kernel of the
 * binding, which XLA cannot compile) is replaced by the elementwise ops it fuses. The rewrite on
 * a hand-made graph, and on the native backend an XLA-compiled update against the eager one.
 */
import * as nx from '@raven/nx';
import { describe, expect, it } from 'vitest';
import { expandFusedOps } from '../../src/jit/expand-fused.js';
import type { NodeDef } from '../../src/jit/proto.js';
import { registeredFunctionDefText } from '../_native.js';

const native = nx.backendInfo().backend === 'tensorflow';
const placeholder = (name: string): NodeDef => ({ name, op: 'Placeholder', inputs: [], attrs: {} });

describe('expandFusedOps', () => {
  const adam: NodeDef = {
    name: 'n9',
    op: 'RavenAdamUpdate',
    inputs: ['n0:0', 'n1:0', 'n2:0', 'n3:0', 'n4:0'],
    attrs: { b1: { kind: 'f', value: 0.9 }, one_minus_b1: { kind: 'f', value: 0.1 }, b2: { kind: 'f', value: 0.999 }, one_minus_b2: { kind: 'f', value: 0.001 } },
  };
  const consumer: NodeDef = { name: 'n10', op: 'AddV2', inputs: ['n9:2', 'n0:0'], attrs: {} };
  const nodes = [...['n0', 'n1', 'n2', 'n3', 'n4'].map(placeholder), adam, consumer];

  it('replaces RavenAdamUpdate by its elementwise ops and renames every use of its outputs', () => {
    const r = expandFusedOps(nodes, ['n9:0', 'n9:1', 'n10:0']);
    expect(r.nodes.some((n) => n.op === 'RavenAdamUpdate')).toBe(false);
    const byName = new Map(r.nodes.map((n) => [n.name, n]));
    expect(r.outputNames).toEqual(['n9_adam_mu:0', 'n9_adam_nu:0', 'n10:0']);
    expect(byName.get('n10')!.inputs).toEqual(['n9_adam_update:0', 'n0:0']);
    // mu' = mu b1 + grad (1 - b1); nu' = nu b2 + grad^2 (1 - b2); update = mu' / (sqrt(nu') + eps) * scale
    expect(byName.get('n9_adam_mu_decayed')!.inputs).toEqual(['n1:0', 'n9_adam_b1:0']);
    expect(byName.get('n9_adam_grad_scaled')!.inputs).toEqual(['n0:0', 'n9_adam_c1:0']);
    expect(byName.get('n9_adam_nu_decayed')!.inputs).toEqual(['n2:0', 'n9_adam_b2:0']);
    expect(byName.get('n9_adam_grad_squared')).toMatchObject({ op: 'Square', inputs: ['n0:0'] });
    expect(byName.get('n9_adam_denominator')!.inputs).toEqual(['n9_adam_root:0', 'n3:0']);
    expect(byName.get('n9_adam_update')).toMatchObject({ op: 'Mul', inputs: ['n9_adam_ratio:0', 'n4:0'] });
    const c1 = byName.get('n9_adam_c1')!.attrs['value'];
    expect(c1).toEqual({ kind: 'tensor', value: { dtype: 1, shape: [], splat: 0.1 } });
    // every input names a node of the graph
    for (const n of r.nodes) for (const i of n.inputs) expect(byName.has(i.split(':')[0]!), `${n.name} <- ${i}`).toBe(true);
  });

  it('leaves a graph without fused ops as it is', () => {
    const plain = nodes.filter((n) => n.op === 'Placeholder');
    expect(expandFusedOps(plain, ['n0:0'])).toEqual({ nodes: plain, outputNames: ['n0:0'] });
  });
});

describe.runIf(native)('an Adam update under jit: {xla: true}', () => {
  it('compiles (no fused op in the graph) and equals the eager update', () => {
    const n = 3000;
    const f = nx.jit((g: nx.Tensor, m: nx.Tensor, v: nx.Tensor) => {
      const r = nx.adamUpdate(g, m, v, { b1: 0.9, b2: 0.999, epsHat: 1e-8, stepScale: 0.5 });
      return [r.mu, r.nu, r.update];
    }, { name: 'expandFusedXlaTest', xla: true });
    const g = nx.sin(nx.arange(0, n));
    const m = nx.mul(nx.cos(nx.arange(0, n)), 0.1);
    const v = nx.mul(nx.square(g), 0.01);
    const got = f(g, m, v) as nx.Tensor[];
    const want = nx.adamUpdate(g, m, v, { b1: 0.9, b2: 0.999, epsHat: 1e-8, stepScale: 0.5 });
    for (const [a, b] of [[got[0]!, want.mu], [got[1]!, want.nu], [got[2]!, want.update]] as const) {
      const x = nx.toTypedArray(a) as Float32Array;
      const y = nx.toTypedArray(b) as Float32Array;
      let worst = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / Math.max(1e-6, Math.abs(y[i]!)));
      expect(worst).toBeLessThan(1e-5);
    }
    const text = registeredFunctionDefText('expandFusedXlaTest');
    expect(text).toBeDefined();
    expect(text!).not.toContain('RavenAdamUpdate');
    expect(text!).toContain('Sqrt');
    nx.dispose([g, m, v, ...got, want.mu, want.nu, want.update]);
    f.dispose();
  });
});
