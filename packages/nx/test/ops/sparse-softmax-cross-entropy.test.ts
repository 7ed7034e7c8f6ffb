/**
 * `nx.sparseSoftmaxCrossEntropy` against the formula evaluated on the host in float64
 * (`logsumexp(row) - row[label]`, gradient `softmax(row) - oneHot(label)`), its errors, and on the
 * native backend: one TensorFlow kernel for the loss and its gradient, eagerly and under `nx.jit`,
 * with labels checked before every jitted call.
 */
import * as nx from '@raven/nx';
import { describe, expect, it } from 'vitest';
import { opsRun } from '../_native.js';

const native = nx.backendInfo().backend === 'tensorflow';
const ROWS = [[2, 0, -1, 0.5], [0.5, 0.5, 3, -2], [-30, 40, 1, 0], [1, 1, 1, 1], [0, 0, 0, 88]];
const LABELS = [0, 2, 0, 3, 3];
const W = [1, -0.5, 2, 0.25, 3]; // upstream gradient per row

const lse = (r: number[]): number => { const m = Math.max(...r); return m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0)); };
const WANT_LOSS = ROWS.map((r, i) => lse(r) - r[LABELS[i]!]!);
const WANT_GRAD = ROWS.map((r, i) => r.map((v, j) => (Math.exp(v - lse(r)) - (j === LABELS[i] ? 1 : 0)) * W[i]!));

const close = (got: ArrayLike<number>, want: number[], tol: number): void => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `element ${i}: ${got[i]} vs ${want[i]}`).toBeLessThan(tol * Math.max(1, Math.abs(want[i]!)));
};

describe(`nx.sparseSoftmaxCrossEntropy on ${nx.backendInfo().backend}`, () => {
  it('is logsumexp(row) - row[label] per row, also for leading axes', () => {
    const logits = nx.fromArray(ROWS);
    const labels = nx.fromArray(LABELS, { dtype: 'int32' });
    const loss = nx.sparseSoftmaxCrossEntropy(logits, labels);
    expect(loss.shape).toEqual([5]);
    close(nx.toTypedArray(loss), WANT_LOSS, 1e-6);
    const l3 = nx.reshape(nx.fromArray([...ROWS, ROWS[0]!]), [2, 3, 4]);
    const y3 = nx.fromArray([[...LABELS.slice(0, 3)], [...LABELS.slice(3), LABELS[0]!]], { dtype: 'int32' });
    const loss3 = nx.sparseSoftmaxCrossEntropy(l3, y3);
    expect(loss3.shape).toEqual([2, 3]);
    close(nx.toTypedArray(loss3), [...WANT_LOSS, WANT_LOSS[0]!], 1e-6);
    nx.dispose([logits, labels, loss, l3, y3, loss3]);
  });

  it('has the gradient (softmax - oneHot) times the upstream gradient', () => {
    const logits = nx.fromArray(ROWS);
    const labels = nx.fromArray(LABELS, { dtype: 'int32' });
    const w = nx.fromArray(W);
    const [g] = nx.grad((l: nx.Tensor) => nx.sum(nx.mul(nx.sparseSoftmaxCrossEntropy(l, labels), w)))(logits);
    close(nx.toTypedArray(g!), WANT_GRAD.flat(), 1e-6);
    nx.dispose([logits, labels, w, g!]);
  });

  it('takes no rows, and says what is wrong with the shapes, dtypes and class ids', () => {
    const empty = nx.sparseSoftmaxCrossEntropy(nx.zeros([0, 3]), nx.zeros([0], 'int32'));
    expect(empty.shape).toEqual([0]);
    const logits = nx.fromArray(ROWS);
    expect(() => nx.sparseSoftmaxCrossEntropy(logits, nx.fromArray([0, 1], { dtype: 'int32' }))).toThrow(/labels must have the shape of logits without the class axis, \[5\]; got \[2\]/);
    expect(() => nx.sparseSoftmaxCrossEntropy(logits, nx.fromArray(LABELS))).toThrow(nx.DTypeError);
    expect(() => nx.sparseSoftmaxCrossEntropy(nx.scalar(1), nx.scalar(0, 'int32'))).toThrow(nx.ShapeError);
    expect(() => nx.sparseSoftmaxCrossEntropy(logits, nx.fromArray([0, 1, 4, 0, 0], { dtype: 'int32' }))).toThrow(/label 4 at flat index 2 is outside \[0, 4\)/);
    expect(() => nx.sparseSoftmaxCrossEntropy(logits, nx.fromArray([0, -1, 0, 0, 0], { dtype: 'int32' }))).toThrow(nx.IndexError);
    nx.dispose([empty, logits]);
  });

  it.runIf(native)('is one TensorFlow kernel for the loss and its gradient, eagerly and in a jitted graph; labels are checked before every jitted call', () => {
    const logits = nx.fromArray(ROWS);
    const labels = nx.fromArray(LABELS, { dtype: 'int32' });
    const w = nx.fromArray(W);
    const f = (l: nx.Tensor, y: nx.Tensor, ww: nx.Tensor) => nx.valueAndGrad((v: nx.Tensor) => nx.sum(nx.mul(nx.sparseSoftmaxCrossEntropy(v, y), ww)))(l);
    let eager: ReturnType<typeof f> | undefined;
    const ops = opsRun(() => { eager = f(logits, labels, w); });
    expect(ops.filter((o) => o === 'SparseSoftmaxCrossEntropyWithLogits')).toHaveLength(1);
    for (const op of ['OneHot', 'Exp', 'Log', 'Max']) expect(ops).not.toContain(op);
    const jitted = nx.jit(f, { name: 'sparseXentTest' });
    const first = jitted(logits, labels, w); // traces
    const again = jitted(logits, labels, w); // runs the graph
    for (const r of [first, again]) {
      expect(nx.item(r.value)).toBeCloseTo(nx.item(eager!.value) as number, 5);
      close(nx.toTypedArray(r.grads[0]!), WANT_GRAD.flat(), 1e-6);
    }
    const bad = nx.fromArray([0, 1, 2, 3, 9], { dtype: 'int32' });
    expect(() => jitted(logits, bad, w)).toThrow(/label 9 at flat index 4 is outside \[0, 4\)/);
    nx.dispose([logits, labels, w, bad, eager!.value, ...eager!.grads, first.value, ...first.grads, again.value, ...again.grads]);
    jitted.dispose();
  });
});
