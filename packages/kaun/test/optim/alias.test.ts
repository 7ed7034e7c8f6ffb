import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Optim, Ptree, OptimError } from '@raven/kaun';

// Independent truth: each optimizer's update rule written out in float64 JavaScript, following
// the torch.optim documentation, run side by side with the library for a few steps.

type Vec = number[];
const P0: Vec = [0.5, -1.25, 2.0, 0.1, -0.3];
// a gradient that depends on the parameters, so trajectories diverge if anything is off
const gradOf = (p: Vec): Vec => p.map((x, i) => 2 * x - 0.3 * i + Math.sin(x));

function values(t: nx.Tensor): number[] {
  return Array.from(t.dataSync() as Float32Array);
}

/** Runs `steps` updates of `opt` on a two-leaf tree holding P0, returning the parameters after each step. */
function runLibrary(opt: Optim.Optimizer, steps: number): Vec[] {
  let params: Ptree.Tree = { a: nx.fromArray(P0.slice(0, 2)), nested: [nx.fromArray(P0.slice(2))] };
  let state = opt.init(params);
  const out: Vec[] = [];
  for (let s = 0; s < steps; s++) {
    const flat = (): Vec => Ptree.leaves(params).flatMap(values);
    const g = gradOf(flat());
    const grads: Ptree.Tree = { a: nx.fromArray(g.slice(0, 2)), nested: [nx.fromArray(g.slice(2))] };
    const { updates, state: next } = opt.update(grads, state, params);
    const nextParams = Optim.applyUpdates(params, updates);
    Ptree.dispose(grads);
    Ptree.dispose(updates);
    Ptree.dispose(params);
    Ptree.dispose(state);
    params = nextParams;
    state = next;
    out.push(flat());
  }
  Ptree.dispose(params);
  Ptree.dispose(state);
  return out;
}

function close(actual: Vec[], expected: Vec[], atol = 2e-6): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, s) => row.forEach((v, i) => {
    const e = expected[s]![i]!;
    if (!(Math.abs(v - e) <= atol + 2e-6 * Math.abs(e))) throw new Error(`step ${s + 1}, element ${i}: got ${v}, expected ${e}`);
  }));
}

describe('Optim aliases against the torch.optim formulas', () => {
  it('adamw matches torch.optim.AdamW for 3 steps (decoupled decay, bias correction from t = 1)', () => {
    const lr = 0.05, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
    let p = P0.slice();
    let m = p.map(() => 0);
    let v = p.map(() => 0);
    const expected: Vec[] = [];
    for (let t = 1; t <= 3; t++) {
      const g = gradOf(p);
      p = p.map((x) => x * (1 - lr * wd)); // param.mul_(1 - lr * weight_decay)
      m = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]!);
      v = v.map((vi, i) => b2 * vi + (1 - b2) * g[i]! * g[i]!);
      const bc1 = 1 - b1 ** t;
      const bc2 = 1 - b2 ** t;
      const stepSize = lr / bc1;
      p = p.map((x, i) => x - stepSize * (m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(bc2) + eps)));
      expected.push(p.slice());
    }
    close(runLibrary(Optim.adamw({ lr, b1, b2, eps, weightDecay: wd }), 3), expected);
  });

  it('adamw with a schedule uses lr(step) for both terms, step counting from 0', () => {
    const sched = (s: number) => 0.1 / (s + 1);
    const wd = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
    let p = P0.slice();
    let m = p.map(() => 0);
    let v = p.map(() => 0);
    const expected: Vec[] = [];
    for (let t = 1; t <= 3; t++) {
      const lr = sched(t - 1);
      const g = gradOf(p);
      p = p.map((x) => x * (1 - lr * wd));
      m = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]!);
      v = v.map((vi, i) => b2 * vi + (1 - b2) * g[i]! * g[i]!);
      p = p.map((x, i) => x - (lr / (1 - b1 ** t)) * (m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(1 - b2 ** t) + eps)));
      expected.push(p.slice());
    }
    close(runLibrary(Optim.adamw({ lr: sched, weightDecay: wd }), 3), expected);
  });

  it('adam (with coupled L2 weight decay) matches torch.optim.Adam', () => {
    const lr = 0.02, b1 = 0.8, b2 = 0.99, eps = 1e-6, wd = 0.05;
    let p = P0.slice();
    let m = p.map(() => 0);
    let v = p.map(() => 0);
    const expected: Vec[] = [];
    for (let t = 1; t <= 4; t++) {
      const g = gradOf(p).map((gi, i) => gi + wd * p[i]!); // grad = grad.add(param, alpha=weight_decay)
      m = m.map((mi, i) => b1 * mi + (1 - b1) * g[i]!);
      v = v.map((vi, i) => b2 * vi + (1 - b2) * g[i]! * g[i]!);
      p = p.map((x, i) => x - (lr / (1 - b1 ** t)) * (m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(1 - b2 ** t) + eps)));
      expected.push(p.slice());
    }
    close(runLibrary(Optim.adam({ lr, b1, b2, eps, weightDecay: wd }), 4), expected);
  });

  // on the native CPU backend each leaf's moments are one fused TensorFlow op (nx.adamUpdate);
  // the formulas above are then checked through that op
  it.runIf(nx.backendInfo().backend === 'tensorflow' && !nx.backendInfo().tensorflow?.gpu)('adam and adamw update each leaf with one RavenAdamUpdate op on the native CPU backend', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const backend = tf.backend() as unknown as { binding: { executeOp(name: string, ...rest: unknown[]): unknown } };
    const binding = backend.binding;
    for (const opt of [Optim.adam({ lr: 0.1 }), Optim.adamw({ lr: 0.1, weightDecay: 0.01 })]) {
      const params: Ptree.Tree = { a: nx.fromArray([1, 2]), b: [nx.fromArray([[3, 4, 5]])] };
      const state = opt.init(params);
      const seen: string[] = [];
      backend.binding = Object.create(binding, { executeOp: { value: (name: string, ...rest: unknown[]) => (seen.push(name), binding.executeOp(name, ...rest)) } }) as typeof binding;
      let r: ReturnType<Optim.Optimizer['update']>;
      try {
        r = opt.update(params, state, params);
      } finally {
        backend.binding = binding;
      }
      expect(seen.filter((o) => o === 'RavenAdamUpdate')).toHaveLength(2);
      expect(seen).not.toContain('Sqrt');
      Ptree.dispose([params, state, r.updates, r.state]);
    }
  });

  for (const nesterov of [false, true]) {
    it(`sgd with momentum${nesterov ? ' (nesterov)' : ''} and weight decay matches torch.optim.SGD`, () => {
      const lr = 0.1, mom = 0.9, wd = 0.01;
      let p = P0.slice();
      let buf: Vec | null = null;
      const expected: Vec[] = [];
      for (let t = 1; t <= 4; t++) {
        const g = gradOf(p).map((gi, i) => gi + wd * p[i]!);
        buf = buf === null ? g.slice() : buf.map((b, i) => mom * b + g[i]!); // first step: buf = g
        const d = nesterov ? g.map((gi, i) => gi + mom * buf![i]!) : buf;
        p = p.map((x, i) => x - lr * d[i]!);
        expected.push(p.slice());
      }
      close(runLibrary(Optim.sgd({ lr, momentum: mom, nesterov, weightDecay: wd }), 4), expected);
    });
  }

  it('plain sgd is p -= lr * g', () => {
    const lr = 0.3;
    let p = P0.slice();
    const expected: Vec[] = [];
    for (let t = 0; t < 3; t++) {
      const g = gradOf(p);
      p = p.map((x, i) => x - lr * g[i]!);
      expected.push(p.slice());
    }
    close(runLibrary(Optim.sgd({ lr }), 3), expected);
  });

  for (const variant of [{ centered: false, momentum: 0 }, { centered: true, momentum: 0.5 }]) {
    it(`rmsprop matches torch.optim.RMSprop (centered ${variant.centered}, momentum ${variant.momentum})`, () => {
      const lr = 0.01, alpha = 0.9, eps = 1e-8, wd = 0.02;
      let p = P0.slice();
      let sq = p.map(() => 0);
      let ga = p.map(() => 0);
      let buf = p.map(() => 0);
      const expected: Vec[] = [];
      for (let t = 1; t <= 4; t++) {
        const g = gradOf(p).map((gi, i) => gi + wd * p[i]!);
        sq = sq.map((s, i) => alpha * s + (1 - alpha) * g[i]! * g[i]!);
        let avg: Vec;
        if (variant.centered) {
          ga = ga.map((a, i) => alpha * a + (1 - alpha) * g[i]!);
          avg = sq.map((s, i) => Math.sqrt(s - ga[i]! * ga[i]!) + eps);
        } else {
          avg = sq.map((s) => Math.sqrt(s) + eps);
        }
        if (variant.momentum > 0) {
          buf = buf.map((b, i) => variant.momentum * b + g[i]! / avg[i]!);
          p = p.map((x, i) => x - lr * buf[i]!);
        } else {
          p = p.map((x, i) => x - lr * (g[i]! / avg[i]!));
        }
        expected.push(p.slice());
      }
      close(runLibrary(Optim.rmsprop({ lr, alpha, eps, weightDecay: wd, ...variant }), 4), expected, 1e-5);
    });
  }

  it('adagrad matches torch.optim.Adagrad', () => {
    const lr = 0.1, init = 0.1, eps = 1e-10;
    let p = P0.slice();
    let sum = p.map(() => init);
    const expected: Vec[] = [];
    for (let t = 1; t <= 4; t++) {
      const g = gradOf(p);
      sum = sum.map((s, i) => s + g[i]! * g[i]!);
      p = p.map((x, i) => x - lr * (g[i]! / (Math.sqrt(sum[i]!) + eps)));
      expected.push(p.slice());
    }
    close(runLibrary(Optim.adagrad({ lr, initialAccumulatorValue: init }), 4), expected);
  });
});

describe('every optimizer (one table)', () => {
  const table: Array<[string, () => Optim.Optimizer]> = [
    ['sgd', () => Optim.sgd({ lr: 0.1 })],
    ['sgd momentum', () => Optim.sgd({ lr: 0.05, momentum: 0.9 })],
    ['adam', () => Optim.adam({ lr: 0.1 })],
    ['adamw', () => Optim.adamw({ lr: 0.1 })],
    ['adamw + schedule', () => Optim.adamw({ lr: Optim.Schedule.warmupCosine({ peak: 0.1, warmupSteps: 5, decaySteps: 60 }) })],
    ['rmsprop', () => Optim.rmsprop({ lr: 0.05 })],
    ['adagrad', () => Optim.adagrad({ lr: 0.5 })],
    ['clip + adam', () => Optim.chain(Optim.clipByGlobalNorm(1), Optim.adam({ lr: 0.1 }))],
  ];
  for (const [name, make] of table) {
    it(`${name}: minimises a quadratic, keeps its state a tree of tensors, and does not leak`, () => {
      const opt = make();
      const target = nx.fromArray([1, -2, 3]);
      let params: Ptree.Tree = { w: nx.zeros([3]) };
      let state = opt.init(params);
      const lossAt = (p: Ptree.Tree) => nx.scope(() => nx.sum(nx.square(nx.sub((p as { w: nx.Tensor }).w, target))).dataSync()[0]!);
      const start = lossAt(params);
      let live = -1;
      for (let s = 0; s < 60; s++) {
        const next = nx.scope(() => {
          const w = (params as { w: nx.Tensor }).w;
          const grads = { w: nx.mul(nx.sub(w, target), 2) };
          const r = opt.update(grads, state, params);
          return { params: Optim.applyUpdates(params, r.updates), state: r.state };
        });
        const keepSet = new Set(Ptree.leaves([next.params, next.state]));
        nx.dispose(Ptree.leaves([params, state]).filter((t) => !keepSet.has(t)));
        params = next.params;
        state = next.state;
        if (s === 5) live = nx.memory().numTensors;
        if (s > 5) expect(nx.memory().numTensors).toBe(live);
      }
      expect(lossAt(params)).toBeLessThan(start * 0.05);
      for (const leaf of Ptree.leaves(state)) expect(nx.isTensor(leaf)).toBe(true);
      Ptree.dispose([params, state, target]);
    });
  }
});

describe('option validation', () => {
  it('rejects out-of-range options with OptimError naming the option', () => {
    expect(() => Optim.adam({ b1: 1 })).toThrow(OptimError);
    expect(() => Optim.adam({ b1: 1 })).toThrow(/b1/);
    expect(() => Optim.adamw({ lr: -1 })).toThrow(/lr/);
    expect(() => Optim.sgd({ nesterov: true })).toThrow(/nesterov needs momentum/);
    expect(() => Optim.rmsprop({ alpha: 1.5 })).toThrow(/decay/);
    expect(() => Optim.clipByGlobalNorm(0)).toThrow(/maxNorm/);
    expect(() => Optim.adagrad({ eps: Number.NaN })).toThrow(/eps/);
  });

  it('adamw needs the parameters at update time', () => {
    const p = { w: nx.ones([2]) };
    const opt = Optim.adamw();
    const s = opt.init(p);
    expect(() => opt.update({ w: nx.ones([2]) }, s)).toThrow(/update\(grads, state, params\)/);
    Ptree.dispose([p, s]);
  });

  it('rejects a state of the wrong optimizer and gradients of the wrong shape', () => {
    const p = { w: nx.ones([2]) };
    const opt = Optim.adam();
    const s = opt.init(p);
    expect(() => opt.update({ w: nx.ones([2]) }, {}, p)).toThrow(/list of 2 states/);
    expect(() => opt.update({ w: nx.ones([3]) }, s, p)).toThrow(/shape \[2\] but the gradient has shape \[3\]/);
    Ptree.dispose([p, s]);
  });
});
