/**
 * A fused Adam update whose step direction only goes, times a scalar, into a sum with the
 * parameter becomes one `RavenAdamApply` (the graph rewrite on hand-made graphs, the XLA
 * expansion of the fused op), and on the native CPU backend a jitted Adam step with that op
 * equals the eager step (separate update, `Mul` and `Add` kernels) bit for bit, also when the
 * gradient comes as row blocks and on the kernel's threaded path; the kernel's shape errors.
 */
import { availableParallelism } from 'node:os';
import * as nx from '@raven/nx';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expandFusedOps } from '../../src/jit/expand-fused.js';
import { foldParamUpdates } from '../../src/jit/fold-param-updates.js';
import { DT, type NodeDef } from '../../src/jit/proto.js';
import { registeredFunctionDefText } from '../_native.js';

const native = nx.backendInfo().backend === 'tensorflow';
const FLOAT = { kind: 'type', value: DT.float32 } as const;
const placeholder = (name: string): NodeDef => ({ name, op: 'Placeholder', inputs: [], attrs: { dtype: FLOAT } });
const ATTRS: NodeDef['attrs'] = { N: { kind: 'i', value: 1 }, b1: { kind: 'f', value: 0.9 }, one_minus_b1: { kind: 'f', value: 0.1 }, b2: { kind: 'f', value: 0.999 }, one_minus_b2: { kind: 'f', value: 0.001 } };
const adam: NodeDef = { name: 'u', op: 'RavenAdamUpdate', inputs: ['g:0', 'm:0', 'v:0', 'e:0', 's:0'], attrs: ATTRS };
const op = (name: string, type: string, inputs: string[]): NodeDef => ({ name, op: type, inputs, attrs: { T: FLOAT } });
const SHAPES: Record<string, number[]> = { 'g:0': [3, 4], 'm:0': [3, 4], 'v:0': [3, 4], 'e:0': [], 's:0': [], 'p:0': [3, 4], 'lr:0': [], 'row:0': [4], 'w:0': [3, 4] };
const shapeOf = (input: string): number[] | undefined => SHAPES[input];

/** Placeholders, the fused update, then `rest`, rewritten with `outputs`. */
function fold(rest: NodeDef[], outputs: string[]) {
  return foldParamUpdates([...['g', 'm', 'v', 'e', 's', 'p', 'lr', 'row', 'w'].map(placeholder), adam, ...rest], outputs, shapeOf);
}

describe('foldParamUpdates (the graph rewrite)', () => {
  it('folds update * lr + param into RavenAdamApply, in either operand order, and renames the uses of the sum', () => {
    for (const [mul, add] of [[['u:2', 'lr:0'], ['p:0', 'step:0']], [['lr:0', 'u:2'], ['step:0', 'p:0']]] as const) {
      const r = fold([op('step', 'Mul', [...mul]), op('next', 'AddV2', [...add]), op('after', 'Square', ['next:0'])], ['u:0', 'u:1', 'next:0']);
      const byName = new Map(r.nodes.map((n) => [n.name, n]));
      expect(byName.get('u')).toMatchObject({ op: 'RavenAdamApply', inputs: ['g:0', 'm:0', 'v:0', 'e:0', 's:0', 'p:0', 'lr:0'], attrs: ATTRS });
      expect(byName.has('step') || byName.has('next')).toBe(false);
      expect(byName.get('after')!.inputs).toEqual(['u:2']);
      expect(r.outputNames).toEqual(['u:0', 'u:1', 'u:2']);
    }
  });

  it('keeps the row blocks of a gradient fed as blocks (N > 1) and takes Add as well as AddV2', () => {
    const blocks: NodeDef = { ...adam, inputs: ['g0:0', 'g1:0', 'm:0', 'v:0', 'e:0', 's:0'], attrs: { ...ATTRS, N: { kind: 'i', value: 2 } } };
    const r = foldParamUpdates([...['g0', 'g1', 'm', 'v', 'e', 's', 'p', 'lr'].map(placeholder), blocks, op('step', 'Mul', ['u:2', 'lr:0']), op('next', 'Add', ['p:0', 'step:0'])], ['next:0'], shapeOf);
    expect(r.nodes.find((n) => n.name === 'u')).toMatchObject({ op: 'RavenAdamApply', inputs: ['g0:0', 'g1:0', 'm:0', 'v:0', 'e:0', 's:0', 'p:0', 'lr:0'], attrs: { N: { kind: 'i', value: 2 } } });
    expect(r.outputNames).toEqual(['u:2']);
  });

  it('leaves the graph as it is when the update, or the scaled update, is used elsewhere or returned', () => {
    const cases: Array<[NodeDef[], string[]]> = [
      [[op('step', 'Mul', ['u:2', 'lr:0']), op('next', 'AddV2', ['p:0', 'step:0']), op('norm', 'Square', ['u:2'])], ['next:0']],
      [[op('step', 'Mul', ['u:2', 'lr:0']), op('next', 'AddV2', ['p:0', 'step:0'])], ['next:0', 'u:2']],
      [[op('step', 'Mul', ['u:2', 'lr:0']), op('next', 'AddV2', ['p:0', 'step:0'])], ['next:0', 'step:0']],
      [[op('step', 'Mul', ['u:2', 'lr:0']), op('next', 'AddV2', ['p:0', 'step:0']), op('other', 'AddV2', ['w:0', 'step:0'])], ['next:0', 'other:0']],
    ];
    for (const [rest, outputs] of cases) {
      const r = fold(rest, outputs);
      expect(r.nodes.find((n) => n.name === 'u')!.op).toBe('RavenAdamUpdate');
      expect(r.outputNames).toEqual(outputs);
    }
  });

  it('leaves the graph as it is when the sum\'s other term is computed from the update\'s moments (folding would make a cycle)', () => {
    const fromMu = op('w2', 'Square', ['u:0']);
    SHAPES['w2:0'] = [3, 4];
    const r = fold([fromMu, op('step', 'Mul', ['u:2', 'lr:0']), op('next', 'AddV2', ['w2:0', 'step:0'])], ['next:0']);
    expect(r.nodes.find((n) => n.name === 'u')!.op).toBe('RavenAdamUpdate');
  });

  it('leaves the graph as it is for a non-scalar factor, a broadcasting sum, a difference, or unknown shapes', () => {
    const cases: NodeDef[][] = [
      [op('step', 'Mul', ['u:2', 'w:0']), op('next', 'AddV2', ['p:0', 'step:0'])], // elementwise factor
      [op('step', 'Mul', ['u:2', 'lr:0']), op('next', 'AddV2', ['row:0', 'step:0'])], // [4] + [3, 4] broadcasts
      [op('step', 'Mul', ['u:2', 'lr:0']), op('next', 'Sub', ['p:0', 'step:0'])],
      [op('step', 'Mul', ['u:2', 'unknown:0']), op('next', 'AddV2', ['p:0', 'step:0'])],
    ];
    for (const rest of cases) expect(fold(rest, ['next:0']).nodes.find((n) => n.name === 'u')!.op).toBe('RavenAdamUpdate');
  });

  it('for XLA, RavenAdamApply becomes the update\'s elementwise ops, the Mul and the AddV2 it was folded from', () => {
    const folded = fold([op('step', 'Mul', ['u:2', 'lr:0']), op('next', 'AddV2', ['p:0', 'step:0'])], ['u:0', 'next:0']);
    const r = expandFusedOps(folded.nodes, folded.outputNames);
    const byName = new Map(r.nodes.map((n) => [n.name, n]));
    expect(r.nodes.some((n) => n.op.startsWith('Raven'))).toBe(false);
    expect(byName.get('u_adam_step')).toMatchObject({ op: 'Mul', inputs: ['u_adam_update:0', 'lr:0'] });
    expect(byName.get('u_adam_param')).toMatchObject({ op: 'AddV2', inputs: ['p:0', 'u_adam_step:0'] });
    expect(r.outputNames).toEqual(['u_adam_mu:0', 'u_adam_param:0']);
  });
});

/** How many elements of two float32 tensors differ in their bits (NaN payloads included). */
function bitsDiffering(a: nx.Tensor, b: nx.Tensor): number {
  const x = new Uint32Array(Float32Array.from(nx.toTypedArray(a) as Float32Array).buffer);
  const y = new Uint32Array(Float32Array.from(nx.toTypedArray(b) as Float32Array).buffer);
  if (x.length !== y.length) return Math.max(x.length, y.length);
  let d = 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) d++;
  return d;
}

describe.runIf(native && !nx.backendInfo().tensorflow?.gpu)('a jitted Adam step applied to its parameter on the native CPU backend', () => {
  const o = { b1: 0.9, b2: 0.999, epsHat: 1e-8, stepScale: 0.31 };
  /** One Adam step: new moments and `p + update * -lr`, as Optim.adam and applyUpdates compute it. */
  const step = (g: nx.Tensor, m: nx.Tensor, v: nx.Tensor, p: nx.Tensor, lr: nx.Tensor): nx.Tensor[] => {
    const r = nx.adamUpdate(g, m, v, o);
    return [r.mu, r.nu, nx.add(p, nx.mul(r.update, lr))];
  };
  const inputs = (n: number, seed: number) => {
    const [kg, km, kp] = nx.random.split(nx.random.key(seed), 3);
    const g = nx.random.normal(kg!, [n]);
    const m = nx.mul(nx.random.normal(km!, [n]), 0.1);
    return { g, m, v: nx.mul(nx.square(m), 3), p: nx.random.normal(kp!, [n]), lr: nx.scalar(-1e-3) };
  };

  for (const n of [7, 4_099, 2 ** 21 + 5]) {
    it(`equals the eager update, Mul and Add bit for bit (${n} elements), and the graph holds RavenAdamApply only`, () => {
      const label = `foldParamUpdatesTest${n}`;
      const f = nx.jit(step, { name: label });
      const { g, m, v, p, lr } = inputs(n, n);
      const got = f(g, m, v, p, lr);
      const want = nx.scope(() => step(g, m, v, p, lr));
      for (let i = 0; i < 3; i++) expect(bitsDiffering(got[i]!, want[i]!), `output ${i}`).toBe(0);
      const text = registeredFunctionDefText(label)!;
      expect(text).toContain('RavenAdamApply');
      expect(text).not.toContain('RavenAdamUpdate');
      expect(text).not.toMatch(/\bAddV2\b|\bMul\b/);
      nx.dispose([g, m, v, p, lr, ...got, ...want]);
      f.dispose();
    });
  }

  it('with the gradient of a split product as row blocks: the same as the eager step, bit for bit', () => {
    const [kz, kx] = nx.random.split(nx.random.key(11), 2);
    const dz = nx.random.normal(kz!, [128, 128]);
    const x = nx.random.normal(kx!, [128, 784]);
    const { m, v, p, lr } = inputs(128 * 784, 12);
    const shaped = [m, v, p].map((t) => nx.reshape(t, [128, 784]));
    const fn = (dz_: nx.Tensor, x_: nx.Tensor, m_: nx.Tensor, v_: nx.Tensor, p_: nx.Tensor, lr_: nx.Tensor) => step(nx.matmul(nx.transpose(dz_), x_), m_, v_, p_, lr_);
    const f = nx.jit(fn, { name: 'foldParamUpdatesBlocksTest' });
    const got = f(dz, x, shaped[0]!, shaped[1]!, shaped[2]!, lr);
    // the eager gradient is one product, the jitted one two row blocks of it: the same rows, the
    // same sums (oneDNN computes each row of a product on its own)
    const want = nx.scope(() => fn(dz, x, shaped[0]!, shaped[1]!, shaped[2]!, lr));
    for (let i = 0; i < 3; i++) {
      const rel = nx.item(nx.scope(() => nx.div(nx.max(nx.abs(nx.sub(got[i]!, want[i]!))), nx.max(nx.abs(want[i]!))))) as number;
      expect(rel, `output ${i}`).toBeLessThan(1e-5);
    }
    const text = registeredFunctionDefText('foldParamUpdatesBlocksTest')!;
    expect(text).toContain('RavenAdamApply');
    if (availableParallelism() >= 2) expect(text).not.toContain('ConcatV2');
    nx.dispose([dz, x, m, v, p, lr, ...shaped, ...got, ...want]);
    f.dispose();
  });

  it('the kernel says what is wrong with a parameter of another shape or a non-scalar learning rate', () => {
    type Backend = { binding: { TF_ATTR_INT: number; TF_ATTR_FLOAT: number }; executeMultipleOutputs(name: string, attrs: unknown[], inputs: tf.TensorInfo[], n: number): tf.TensorInfo[] };
    const backend = tf.backend() as unknown as Backend;
    const attrs = [
      { name: 'N', type: backend.binding.TF_ATTR_INT, value: 1 },
      ...['b1', 'one_minus_b1', 'b2', 'one_minus_b2'].map((name) => ({ name, type: backend.binding.TF_ATTR_FLOAT, value: 0.5 })),
    ];
    const g = nx.ones([4]);
    const s = nx.scalar(1);
    const run = (param: nx.Tensor, lr: nx.Tensor) => backend.executeMultipleOutputs('RavenAdamApply', attrs, [g, g, g, s, s, param, lr], 3);
    const wrong = nx.ones([5]);
    expect(() => run(wrong, s)).toThrow(/RavenAdamApply: param must have the shape of mu/);
    expect(() => run(g, g)).toThrow(/RavenAdamApply: lr_scale must be a scalar/);
    const ok = run(g, s).map((t) => tf.engine().makeTensorFromTensorInfo(t));
    // mu' = 0.5 + 0.5 = 1, nu' = 1, update = 1 / (1 + 1) * 1 = 0.5, param' = 1 + 0.5 * 1
    expect(ok.map((t) => Array.from(t.dataSync()))).toEqual([[1, 1, 1, 1], [1, 1, 1, 1], [1.5, 1.5, 1.5, 1.5]]);
    nx.dispose([g, s, wrong, ...ok]);
  });
});
