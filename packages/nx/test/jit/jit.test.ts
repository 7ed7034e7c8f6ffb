/**
 * nx.jit. On the native backend (the CI's native leg runs this file with NX_BACKEND=tensorflow)
 * a jitted function is traced once per signature and then runs as one TensorFlow graph: its
 * results must equal the eager function's, call after call, with fresh randomness from keys and
 * host scalars recomputed per call; host reads inside are errors; nothing leaks. On wasm and cpu
 * it runs eagerly and says so once.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as nx from '@raven/nx';
import { afterEach, describe, expect, it, vi } from 'vitest';

const native = nx.backendInfo().backend === 'tensorflow';

const rand = (seed: number, shape: number[]): nx.Tensor => nx.random.normal(nx.random.key(seed), shape);
const maxDiff = (a: nx.Tensor, b: nx.Tensor): number => nx.item(nx.scope(() => nx.max(nx.abs(nx.sub(a, b))))) as number;

/** Live handles of the native binding (tensors TF.js knows plus any the jit cache holds). */
const handles = (): number => (tf.backend() as unknown as { binding: { getNumOfTensors(): number } }).binding.getNumOfTensors();

/** A training step of a small MLP with dropout: loss, gradients by nx.valueAndGrad, SGD. */
function mlpStep(params: nx.Tensor[], x: nx.Tensor, y: nx.Tensor, key: nx.random.Key, lr: number): { params: nx.Tensor[]; loss: nx.Tensor } {
  const loss = (w1: nx.Tensor, b1: nx.Tensor, w2: nx.Tensor, b2: nx.Tensor): nx.Tensor => {
    let h = nx.relu(nx.add(nx.matmul(x, w1), b1));
    h = nx.mul(h, nx.cast(nx.random.bernoulli(key, 0.8, h.shape), 'float32'));
    const logits = nx.add(nx.matmul(h, w2), b2);
    return nx.mean(nx.neg(nx.sum(nx.mul(y, nx.logSoftmax(logits)), { axis: -1 })));
  };
  const { value, grads } = nx.valueAndGrad(loss)(...params);
  return { params: params.map((p, i) => nx.sub(p, nx.mul(grads[i]!, lr))), loss: value };
}

const mlpParams = (): nx.Tensor[] => [rand(1, [12, 16]), nx.zeros([16]), rand(2, [16, 5]), nx.zeros([5])];
const batch = (seed: number, n = 8): { x: nx.Tensor; y: nx.Tensor } => ({
  x: rand(seed, [n, 12]),
  y: nx.oneHot(nx.random.randint(nx.random.key(seed + 1000), [n], 0, 5), 5),
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe.skipIf(!native)('nx.jit on the native backend (skipped elsewhere: graphs need TensorFlow)', () => {
  it('nx.isTracing() is true while a trace records, false otherwise', () => {
    const seen: boolean[] = [];
    const f = nx.jit((x: nx.Tensor) => { seen.push(nx.isTracing()); return nx.add(x, 1); });
    const x = nx.fromArray([1]);
    for (let i = 0; i < 2; i++) nx.dispose(f(x)); // the function body runs once: at the trace
    expect(seen).toEqual([true]);
    expect(nx.isTracing()).toBe(false);
    x.dispose();
    f.dispose();
  });

  it('records ops tfjs-node runs without their type attributes (its ExpandDims) with the types the graph needs', () => {
    const f = nx.jit((x: nx.Tensor) => nx.mul(tf.expandDims(x, 1), 2));
    const x = nx.fromArray([1, 2, 3]);
    for (let i = 0; i < 2; i++) { // traces, then runs the graph
      const y = f(x);
      expect(y.shape).toEqual([3, 1]);
      expect(Array.from(nx.toTypedArray(y))).toEqual([2, 4, 6]);
      y.dispose();
    }
    x.dispose();
    f.dispose();
  });

  it('a training step equals the eager one call after call, with fresh dropout masks from the keys passed in', () => {
    const step = nx.jit(mlpStep);
    let pe = mlpParams();
    let pj = pe.map((p) => nx.copy(p));
    const base = nx.random.key(3);
    const losses = new Set<number>();
    for (let i = 0; i < 6; i++) {
      const { x, y } = batch(10 + i);
      const key = nx.random.foldIn(base, i);
      const re = nx.scope(() => mlpStep(pe, x, y, key, 0.1));
      const rj = step(pj, x, y, key, 0.1);
      expect(Math.abs((nx.item(re.loss) as number) - (nx.item(rj.loss) as number))).toBeLessThan(1e-6);
      re.params.forEach((p, k) => expect(maxDiff(p, rj.params[k]!)).toBeLessThan(1e-6));
      losses.add(nx.item(rj.loss) as number);
      nx.dispose([pe, pj, re.loss, rj.loss, x, y]);
      pe = re.params;
      pj = rj.params;
    }
    expect(step.traces).toBe(1);
    expect(losses.size).toBe(6);
    nx.dispose([pe, pj]);
    step.dispose();
  });

  it('traces again on a new shape or static argument, says why, and stops tracing at maxTraces', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const f = nx.jit((x: nx.Tensor, k: number) => nx.mul(nx.sum(x, { axis: 0 }), k), { name: 'colsum', maxTraces: 2 });
    const a = nx.ones([2, 3]);
    const b = nx.ones([4, 3]);
    const c = nx.ones([5, 3]);
    expect(nx.toArray(f(a, 2))).toEqual([4, 4, 4]);
    expect(nx.toArray(f(a, 2))).toEqual([4, 4, 4]);
    expect(warn).not.toHaveBeenCalled();
    expect(nx.toArray(f(b, 2))).toEqual([8, 8, 8]);
    expect(f.traces).toBe(2);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/nx\.jit\(colsum\): tracing again \(trace 2 of at most 2\) because argument 0: float32\[2,3\] -> float32\[4,3\]/);
    // past the limit: eager, one warning
    expect(nx.toArray(f(c, 3))).toEqual([15, 15, 15]);
    expect(nx.toArray(f(c, 1))).toEqual([5, 5, 5]);
    expect(f.traces).toBe(2);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[1]![0])).toMatch(/2 traces made \(maxTraces\); calls that need another run eagerly/);
    // a known signature still runs its graph
    expect(nx.toArray(f(b, 2))).toEqual([8, 8, 8]);
    nx.dispose([a, b, c]);
    f.dispose();
  });

  it('a static argument is part of the signature: a new value retraces, the same value does not', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const f = nx.jit((x: nx.Tensor, o: { scale: number; add: boolean }) => (o.add ? nx.add(x, o.scale) : nx.mul(x, o.scale)));
    const x = nx.fromArray([1, 2]);
    expect(nx.toArray(f(x, { scale: 3, add: false }))).toEqual([3, 6]);
    expect(nx.toArray(f(x, { scale: 3, add: true }))).toEqual([4, 5]);
    expect(nx.toArray(f(x, { scale: 3, add: false }))).toEqual([3, 6]);
    expect(f.traces).toBe(2);
    x.dispose();
    f.dispose();
  });

  it('host reads of traced values are errors that name the read and the op', () => {
    const x = nx.fromArray([1, -2, 3]);
    const branch = nx.jit((t: nx.Tensor) => ((nx.item(nx.sum(t)) as number) > 0 ? nx.relu(t) : t), { name: 'branch' });
    expect(() => branch(x)).toThrow(nx.TraceError);
    expect(() => branch(x)).toThrow(/nx\.jit\(branch\): the traced function reads a tensor's value on the host \(nx\.item\).*the op Sum.*nx\.where/s);
    const read = nx.jit((t: nx.Tensor) => nx.fromArray(nx.toArray(t) as number[]));
    expect(() => read(x)).toThrow(/\(nx\.toArray\).*an argument of the function/s);
    // values that do not depend on the arguments can be read (they are constants)
    const constant = nx.jit((t: nx.Tensor) => nx.add(t, nx.item(nx.sum(nx.ones([2]))) as number));
    expect(nx.toArray(constant(x))).toEqual([3, 0, 5]);
    expect(nx.toArray(constant(x))).toEqual([3, 0, 5]);
    // a failed trace leaves nothing behind and the function can trace again
    expect(branch.traces).toBe(0);
    x.dispose();
    constant.dispose();
  });

  it('drawing host numbers from a key argument is an error; tensor samplers, split and foldIn are inputs per call', () => {
    const host = nx.jit((k: nx.random.Key) => nx.fromArray(nx.random.uniformArray(k, 3)));
    expect(() => host(nx.random.key(0))).toThrow(/nx\.random\.uniformArray: draws numbers on the host from a key passed to a jitted function/);
    const sample = (k: nx.random.Key): nx.Tensor => {
      const [a, b] = nx.random.split(k);
      return nx.stack([nx.random.uniform(a!, [4]), nx.random.normal(nx.random.foldIn(b!, 7), [4]), nx.cast(nx.random.randint(b!, [4], 0, 100), 'float32')]);
    };
    const f = nx.jit(sample);
    for (let s = 0; s < 4; s++) {
      const k = nx.random.key(s);
      const e = sample(k);
      const j = f(k);
      expect(nx.toArray(j)).toEqual(nx.toArray(e));
      nx.dispose([e, j]);
    }
    expect(f.traces).toBe(1);
    // a key made inside the function is a constant of the trace (as in JAX)
    const fixed = nx.jit((x: nx.Tensor) => nx.add(x, nx.random.uniform(nx.random.key(1), [2])));
    const z = nx.zeros([2]);
    expect(nx.toArray(fixed(z))).toEqual(nx.toArray(fixed(z)));
    nx.dispose(z);
    f.dispose();
    fixed.dispose();
  });

  it('host scalars are recomputed per call from the host values of the inputs (a step count advances)', () => {
    const f = nx.jit((count: nx.Tensor, x: nx.Tensor) => {
      const next = nx.hostScalar([count], (c) => c + 1, 'int32');
      const lr = nx.hostScalar([next], (t) => 0.5 ** t);
      return { count: next, y: nx.mul(x, lr) };
    });
    let count = nx.hostScalar([], () => 0, 'int32');
    const x = nx.fromArray([8]);
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = f(count, x);
      expect(nx.item(r.count)).toBe(i + 1);
      seen.push(nx.toArray(r.y) as unknown as number);
      nx.dispose(count);
      count = r.count;
      r.y.dispose();
    }
    expect(seen).toEqual([[4], [2], [1], [0.5]]);
    // a host scalar of a value the function computes cannot be known per call
    const bad = nx.jit((t: nx.Tensor) => nx.hostScalar([nx.sum(t)], (v) => v));
    expect(() => bad(x)).toThrow(/nx\.hostScalar: input 0 is computed inside the traced function \(by the op Sum\)/);
    nx.dispose([count, x]);
    f.dispose();
  });

  it('host decisions are part of the signature: one graph per decision, chosen at each call', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const f = nx.jit((count: nx.Tensor, x: nx.Tensor) => {
      const apply = nx.hostStatic([count], (c) => (c + 1) % 3 === 0);
      return { count: nx.hostScalar([count], (c) => c + 1, 'int32'), y: apply ? nx.mul(x, 10) : nx.add(x, 1) };
    }, { name: 'every3' });
    let count = nx.hostScalar([], () => 0, 'int32');
    const x = nx.fromArray([1]);
    const ys: number[] = [];
    for (let i = 0; i < 7; i++) {
      const r = f(count, x);
      ys.push((nx.toArray(r.y) as number[])[0]!);
      nx.dispose([count, r.y]);
      count = r.count;
    }
    expect(ys).toEqual([2, 2, 10, 2, 2, 10, 2]);
    expect(f.traces).toBe(2);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/every3.*because a host decision \(nx\.hostStatic\) changed: \[false\] -> \[true\]/);
    expect(nx.hostStatic([count], (c) => c * 2)).toBe(14); // eagerly: host arithmetic
    expect(() => nx.hostStatic([count], () => Number.NaN)).toThrow(/returned NaN/);
    nx.dispose([count, x]);
    f.dispose();
  });

  it('host checks of arguments run before every call; of computed values they are skipped', () => {
    const seen: number[][] = [];
    const f = nx.jit((ids: nx.Tensor) => {
      const now = nx.hostCheck(ids, (v) => {
        seen.push(Array.from(v));
        if (v.some((x) => x < 0)) throw new RangeError('negative id');
      });
      const later = nx.hostCheck(nx.add(ids, 1), () => { throw new Error('never runs'); });
      return { y: nx.mul(ids, 2), now, later };
    });
    const ok = nx.fromArray([1, 2], { dtype: 'int32' });
    const bad = nx.fromArray([3, -1], { dtype: 'int32' });
    const r = f(ok);
    expect([r.now, r.later]).toEqual([false, false]);
    expect(nx.toArray(f(ok).y)).toEqual([2, 4]);
    expect(() => f(bad)).toThrow(RangeError);
    expect(seen).toEqual([[1, 2], [1, 2], [3, -1]]);
    expect(nx.hostCheck(ok, () => {})).toBe(true); // eagerly: checked now
    nx.dispose([ok, bad, r.y]);
    f.dispose();
  });

  it('gathers with index arguments (embeddings, negative indices) without reading them', () => {
    const table = rand(5, [10, 3]);
    const f = nx.jit((w: nx.Tensor, ids: nx.Tensor) => nx.sum(nx.square(nx.gather(w, ids))));
    const g = nx.jit((w: nx.Tensor, ids: nx.Tensor) => nx.grad((v: nx.Tensor) => nx.sum(nx.take(v, ids, { axis: 0 })))(w)[0]!);
    for (const ids of [[1, 2, 9], [0, -1, -10]]) {
      const t = nx.fromArray(ids, { dtype: 'int32' });
      const e = nx.scope(() => nx.sum(nx.square(nx.gather(table, t))));
      expect(Math.abs((nx.item(f(table, t)) as number) - (nx.item(e) as number))).toBeLessThan(1e-5);
      const ge = nx.grad((v: nx.Tensor) => nx.sum(nx.take(v, t, { axis: 0 })))(table)[0]!;
      expect(maxDiff(g(table, t), ge)).toBe(0);
      nx.dispose([t, e, ge]);
    }
    expect(f.traces).toBe(1);
    nx.dispose(table);
    f.dispose();
    g.dispose();
  });

  it('tensors the function closes over are captured as they were at trace time, and freed by dispose()', () => {
    const before = handles();
    const tensors = nx.memory().numTensors;
    const w = nx.fromArray([[1, 2], [3, 4]]);
    const f = nx.jit((x: nx.Tensor) => nx.matmul(x, w));
    const x = nx.fromArray([[1, 1]]);
    const y1 = f(x);
    w.dispose(); // the graph holds its own reference to the buffer
    const y2 = f(x);
    expect(nx.toArray(y1)).toEqual([[4, 6]]);
    expect(nx.toArray(y2)).toEqual([[4, 6]]);
    nx.dispose([x, y1, y2]);
    f.dispose();
    expect(handles()).toBe(before);
    expect(nx.memory().numTensors).toBe(tensors);
  });

  it('returns trees with static leaves, passes inputs through, and repeats outputs', () => {
    const f = nx.jit((t: { a: nx.Tensor; b: nx.Tensor[] }, tag: string) => ({ tag, same: t.a, twice: [t.b[0]!, t.b[0]!], n: 3, sum: nx.add(t.a, t.b[1]!) }));
    const a = nx.fromArray([1]);
    const b = [nx.fromArray([2]), nx.fromArray([3])];
    for (let i = 0; i < 2; i++) {
      const r = f({ a, b }, 'x');
      expect(r.tag).toBe('x');
      expect(r.n).toBe(3);
      expect(nx.toArray(r.same)).toEqual([1]);
      expect(r.twice.map((t) => nx.toArray(t))).toEqual([[2], [2]]);
      expect(nx.toArray(r.sum)).toEqual([4]);
      nx.dispose([r.same, r.twice, r.sum]);
    }
    expect(nx.toArray(a)).toEqual([1]); // inputs are untouched
    nx.dispose([a, b]);
    f.dispose();
  });

  it('under a gradient, or inside another trace, a jitted function runs eagerly (gradients flow)', () => {
    const square = nx.jit((x: nx.Tensor) => nx.mul(x, x));
    const outer = nx.jit((x: nx.Tensor) => nx.add(square(x), 1));
    const x = nx.fromArray([3]);
    expect(nx.toArray(nx.grad((v: nx.Tensor) => nx.sum(square(v)))(x)[0]!)).toEqual([6]);
    expect(nx.toArray(outer(x))).toEqual([10]);
    expect(nx.toArray(outer(x))).toEqual([10]);
    expect(square.traces).toBe(0);
    x.dispose();
    outer.dispose();
  });

  it('refuses what it cannot trace: classes, promises, bad options', () => {
    const f = nx.jit((m: unknown) => m as nx.Tensor);
    expect(() => f(new Map())).toThrow(/argument 0 is a Map/);
    const p = nx.jit(async (x: nx.Tensor) => x);
    expect(() => p(nx.zeros([1]))).toThrow(/returned a promise/);
    expect(() => nx.jit((x: nx.Tensor) => x, { maxTrace: 2 } as unknown as nx.JitOptions)).toThrow(nx.OptionError);
    expect(() => nx.jit((x: nx.Tensor) => x, { maxTraces: 0 })).toThrow(/maxTraces must be a positive integer/);
  });

  it('the live-tensor count and the binding handles stay flat over 1,000 jitted steps', () => {
    const step = nx.jit(mlpStep);
    let params = mlpParams();
    const { x, y } = batch(7);
    const base = nx.random.key(0);
    const run = (n: number, from: number): void => {
      for (let i = from; i < from + n; i++) {
        const r = step(params, x, y, nx.random.foldIn(base, i), 0.05);
        nx.dispose([params, r.loss]);
        params = r.params;
      }
    };
    run(10, 0);
    const tensors = nx.memory().numTensors;
    const h = handles();
    run(1000, 10);
    expect(nx.memory().numTensors).toBe(tensors);
    expect(handles()).toBe(h);
    nx.dispose([params, x, y]);
    step.dispose();
  });

  it('outputs stay on the device eager ops run on (with CUDA: parameters and their updates never pass through the host)', () => {
    const backend = tf.backend() as unknown as { binding: { raven: { jitDeviceOf(id: number): string } }; getInputTensorIds(t: nx.Tensor[]): number[] };
    const deviceOf = (t: nx.Tensor): string => backend.binding.raven.jitDeviceOf(backend.getInputTensorIds([t])[0]!);
    const eager = nx.scope(() => nx.add(nx.ones([2]), 1));
    const device = deviceOf(eager);
    const step = nx.jit(mlpStep);
    let params = mlpParams();
    const { x, y } = batch(1);
    for (let i = 0; i < 3; i++) {
      const r = step(params, x, y, nx.random.key(i), 0.1);
      nx.dispose([params, r.loss]);
      params = r.params;
    }
    expect(params.map(deviceOf)).toEqual(params.map(() => device));
    nx.dispose([params, x, y, eager]);
    step.dispose();
  });

  it('XLA (jit_compile) gives the same step', () => {
    const step = nx.jit(mlpStep, { xla: true });
    const params = mlpParams();
    const { x, y } = batch(3);
    const k = nx.random.key(9);
    const e = nx.scope(() => mlpStep(params, x, y, k, 0.1));
    step(params, x, y, k, 0.1); // trace
    const j = step(params, x, y, k, 0.1);
    expect(Math.abs((nx.item(e.loss) as number) - (nx.item(j.loss) as number))).toBeLessThan(1e-5);
    e.params.forEach((p, i) => expect(maxDiff(p, j.params[i]!)).toBeLessThan(1e-5));
    nx.dispose([params, x, y, e, j]);
    step.dispose();
  });
});

describe.skipIf(native)(`nx.jit on ${nx.backendInfo().backend} (no TensorFlow graphs: eager)`, () => {
  it('runs the function eagerly, with the same results, and says once that jit needs the native backend', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const f = nx.jit(mlpStep);
    const g = nx.jit((x: nx.Tensor) => nx.mul(x, 2));
    const params = mlpParams();
    const { x, y } = batch(4);
    const k = nx.random.key(2);
    const e = nx.scope(() => mlpStep(params, x, y, k, 0.1));
    const j = f(params, x, y, k, 0.1);
    expect(nx.item(j.loss)).toBe(nx.item(e.loss));
    expect(nx.toArray(g(nx.fromArray([1])))).toEqual([2]);
    expect(f.traces).toBe(0);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/nx\.jit: the \w+ backend cannot run TensorFlow graphs: jit needs the native backend \(tensorflow\); jitted functions run eagerly/);
    nx.dispose([params, x, y, e, j]);
  });
});

describe(`nx.jit callAsync on ${nx.backendInfo().backend}`, () => {
  it('resolves with what the plain call returns, call after call, fresh randomness included, without leaking', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    // eagerly (wasm, cpu) mlpStep's intermediates are not freed: count in scopes there
    const step = nx.jit((...a: Parameters<typeof mlpStep>) => nx.scope(() => mlpStep(...a) as unknown as nx.Scoped) as unknown as ReturnType<typeof mlpStep>);
    const params = mlpParams();
    const { x, y } = batch(5);
    const first = step(params, x, y, nx.random.key(1), 0.1); // traces on the native backend
    nx.dispose(first);
    const counts: number[] = [];
    for (let i = 0; i < 20; i++) {
      const k = nx.random.key(10 + i);
      const sync = step(params, x, y, k, 0.1);
      const promised = step.callAsync(params, x, y, k, 0.1);
      expect(promised).toBeInstanceOf(Promise);
      const later = await promised;
      expect(nx.item(later.loss)).toBe(nx.item(sync.loss));
      later.params.forEach((p, j) => expect(nx.toArray(p)).toEqual(nx.toArray(sync.params[j]!)));
      nx.dispose([sync, later]);
      counts.push(nx.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    expect(step.traces).toBe(native ? 1 : 0);
    nx.dispose([params, x, y]);
    step.dispose();
  });

  it('arguments may be disposed, and the function disposed, before the promise settles', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const f = nx.jit((a: nx.Tensor, b: nx.Tensor) => nx.sum(nx.matmul(a, b)));
    const b = nx.ones([64, 32]);
    nx.dispose(f(nx.ones([16, 64]), b)); // trace
    const a = nx.ones([16, 64]);
    const p = f.callAsync(a, b);
    a.dispose();
    expect(nx.item(await p)).toBe(16 * 32 * 64);
    const q = f.callAsync(nx.scope(() => nx.mul(nx.ones([16, 64]), 2)), b);
    f.dispose(); // the graph is freed once the call in flight has finished
    const r = await q;
    expect(nx.item(r)).toBe(2 * 16 * 32 * 64);
    // after dispose, the next call traces again (on the native backend) and still works
    const again = await f.callAsync(nx.ones([16, 64]), b);
    expect(nx.item(again)).toBe(16 * 32 * 64);
    expect(f.traces).toBe(native ? 1 : 0);
    nx.dispose([r, again, b]);
    f.dispose();
  });

  it.skipIf(!native)('a failing graph rejects with TensorFlow\'s message, and the next call works', async () => {
    const f = nx.jit((idx: nx.Tensor, table: nx.Tensor) => nx.sum(nx.take(table, idx)));
    const table = nx.fromArray([1, 2, 3]);
    nx.dispose(f(nx.fromArray(Int32Array.from([0, 2]), { dtype: 'int32' }), table)); // trace
    const bad = nx.fromArray(Int32Array.from([0, 7]), { dtype: 'int32' });
    await expect(f.callAsync(bad, table)).rejects.toThrow(/7|out of range|bound/i);
    const ok = await f.callAsync(nx.fromArray(Int32Array.from([1, 2]), { dtype: 'int32' }), table);
    expect(nx.item(ok)).toBe(5);
    nx.dispose([table, bad, ok]);
    f.dispose();
  });
});
