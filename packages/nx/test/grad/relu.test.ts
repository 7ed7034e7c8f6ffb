/**
 * The gradient of `nx.relu`: `dy` where `x > 0`, else 0 (hand-computed), on every backend; on the
 * native backend it is TensorFlow's one `ReluGrad` kernel (TF.js' formula issues seven there),
 * eagerly and in jitted graphs, and gradients of gradients go through it.
 */
import * as nx from '@raven/nx';
import { describe, expect, it } from 'vitest';
import { opsRun, registeredFunctionDefText } from '../_native.js';

const native = nx.backendInfo().backend === 'tensorflow';
const X = [-2, -0.5, 0, 0.5, 3, -1e-30, 1e-30];
const C = [1, -2, 3, -4, 5, 6, -7];
// d/dx sum(relu(x) * c) = c where x > 0, else 0 (at 0 as PyTorch and TensorFlow: 0)
const WANT = X.map((x, i) => (x > 0 ? C[i]! : 0));

describe(`nx.relu's gradient on ${nx.backendInfo().backend}`, () => {
  it('is the upstream gradient where x > 0 and zero elsewhere', () => {
    const x = nx.fromArray(X);
    const c = nx.fromArray(C);
    const [g] = nx.grad((v: nx.Tensor) => nx.sum(nx.mul(nx.relu(v), c)))(x);
    // +0 and -0 both count as zero
    expect(Array.from(nx.toTypedArray(g!), (v) => v + 0)).toEqual(WANT);
    nx.dispose([x, c, g!]);
  });

  it('has a gradient itself: d/dx sum(x * relu\'(x) c) = relu\'(x) c', () => {
    const x = nx.fromArray(X);
    const c = nx.fromArray(C);
    const inner = nx.grad((v: nx.Tensor) => nx.sum(nx.mul(nx.relu(v), c)));
    const [g] = nx.grad((v: nx.Tensor) => nx.sum(nx.mul(inner(v)[0]!, v)))(x);
    expect(Array.from(nx.toTypedArray(g!), (v) => v + 0)).toEqual(WANT);
    nx.dispose([x, c, g!]);
  });

  it.runIf(native)('runs TensorFlow\'s ReluGrad, one kernel, eagerly and in a jitted graph', () => {
    const x = nx.fromArray(X);
    const c = nx.fromArray(C);
    const f = (v: nx.Tensor, w: nx.Tensor) => nx.grad((u: nx.Tensor) => nx.sum(nx.mul(nx.relu(u), w)))(v)[0]!;
    let g: nx.Tensor | undefined;
    const ops = opsRun(() => { g = f(x, c); });
    expect(ops.filter((o) => o === 'ReluGrad')).toHaveLength(1);
    for (const op of ['Select', 'IsNan', 'Greater', 'Fill']) expect(ops).not.toContain(op); // TF.js' step(x)
    const jitted = nx.jit(f, { name: 'reluGradTest' });
    const h = jitted(x, c);
    expect(Array.from(nx.toTypedArray(h), (v) => v + 0)).toEqual(WANT);
    const text = registeredFunctionDefText('reluGradTest')!;
    expect(text).toContain('ReluGrad');
    expect(text).not.toContain('Select');
    nx.dispose([x, c, g!, h]);
    jitted.dispose();
  });
});
