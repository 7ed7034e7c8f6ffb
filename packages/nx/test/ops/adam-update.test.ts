/**
 * `nx.adamUpdate`, Adam's moment update: against the formula evaluated on the host with every
 * operation rounded to float32 (`Math.fround`; a float64 result rounded once is the correctly
 * rounded float32 result for +, *, / and sqrt), bit for bit, on every backend. On the native
 * backend (the CI's native leg runs this file there) the fused TensorFlow op must be what runs,
 * eagerly and in `nx.jit` graphs.
 */
import * as nx from '@raven/nx';
import { describe, expect, it } from 'vitest';
import { opsRun, registeredFunctionDefText } from '../_native.js';

const native = nx.backendInfo().backend === 'tensorflow';
const f = Math.fround;

/** Seeded values in (-scale, scale). */
function values(seed: number, n: number, scale: number): Float32Array {
  let s = seed;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = (s / 2147483648 - 0.5) * 2 * scale;
  }
  return out;
}

/** The update on the host, each operation rounded to float32 in the documented order. */
function hostUpdate(g: Float32Array, m: Float32Array, v: Float32Array, b1: number, b2: number, epsHat: number, stepScale: number) {
  const [fb1, fc1, fb2, fc2, fe, fs] = [f(b1), f(1 - b1), f(b2), f(1 - b2), f(epsHat), f(stepScale)];
  const mu = new Float32Array(g.length);
  const nu = new Float32Array(g.length);
  const up = new Float32Array(g.length);
  for (let i = 0; i < g.length; i++) {
    mu[i] = f(f(m[i]! * fb1) + f(g[i]! * fc1));
    nu[i] = f(f(v[i]! * fb2) + f(f(g[i]! * g[i]!) * fc2));
    up[i] = f(f(mu[i]! / f(f(Math.sqrt(nu[i]!)) + fe)) * fs);
  }
  return { mu, nu, up };
}

/** Indices where two arrays differ (bit for bit; NaN equals NaN). */
function mismatches(got: Float32Array, want: Float32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < want.length && out.length < 5; i++) if (!Object.is(got[i], want[i])) out.push(i);
  return out;
}

describe(`nx.adamUpdate on ${nx.backendInfo().backend}`, () => {
  // sizes: one element, a SIMD tail, several SIMD blocks plus a tail; on the native backend also
  // a tensor large enough for the kernel's threaded path (more than 2^21 elements)
  const sizes = native ? [1, 7, 4099, (1 << 21) + 5] : [1, 7, 4099];
  for (const n of sizes) {
    it(`equals the float32 formula bit for bit (${n} elements, bias corrections of step 3)`, () => {
      const [b1, b2, eps] = [0.9, 0.999, 1e-8];
      const epsHat = eps * Math.sqrt(1 - b2 ** 3);
      const stepScale = Math.sqrt(1 - b2 ** 3) / (1 - b1 ** 3);
      const g = values(1, n, 1);
      const m = values(2, n, 0.1);
      const v = values(3, n, 0.01).map(Math.abs);
      v[0] = 0; // a zero second moment: the denominator is epsHat alone
      const want = hostUpdate(g, m, v, b1, b2, epsHat, stepScale);
      const [tg, tm, tv] = [nx.fromArray(g, { shape: [n] }), nx.fromArray(m, { shape: [n] }), nx.fromArray(v, { shape: [n] })];
      const [te, ts] = [nx.scalar(epsHat), nx.scalar(stepScale)];
      const before = nx.memory().numTensors;
      const r = nx.adamUpdate(tg, tm, tv, { b1, b2, epsHat: te, stepScale: ts });
      expect(nx.memory().numTensors).toBe(before + 3); // the three results, no temporaries
      expect(r.update.shape).toEqual([n]);
      expect(mismatches(nx.toTypedArray(r.mu) as Float32Array, want.mu)).toEqual([]);
      expect(mismatches(nx.toTypedArray(r.nu) as Float32Array, want.nu)).toEqual([]);
      expect(mismatches(nx.toTypedArray(r.update) as Float32Array, want.up)).toEqual([]);
      nx.dispose([r.mu, r.nu, r.update, tg, tm, tv, te, ts]);
    });
  }

  it('takes numbers for epsHat and stepScale and keeps the gradient\'s shape', () => {
    const g = nx.fromArray([[0.5, -1], [2, 0]]);
    const z = nx.zerosLike(g);
    const r = nx.adamUpdate(g, z, z, { b1: 0.5, b2: 0.75, epsHat: 0, stepScale: 1 });
    // mu = g / 2, nu = g^2 / 4, update = (g / 2) / (|g| / 2) = sign(g), 0 / 0 for g = 0
    expect(nx.toArray(r.mu)).toEqual([[0.25, -0.5], [1, 0]]);
    expect(nx.toArray(r.nu)).toEqual([[0.0625, 0.25], [1, 0]]);
    const up = nx.toArray(r.update) as number[][];
    expect(up[0]).toEqual([1, -1]);
    expect(up[1]![0]).toBe(1);
    expect(up[1]![1]).toBeNaN();
    nx.dispose([g, z, r.mu, r.nu, r.update]);
  });

  it('says what is wrong with moments of another shape, a non-scalar epsHat and a misspelt option', () => {
    const g = nx.zeros([2, 3]);
    const bad = nx.zeros([3, 2]);
    const o = { b1: 0.9, b2: 0.999, epsHat: 1e-8, stepScale: 1 };
    expect(() => nx.adamUpdate(g, bad, g, o)).toThrow(nx.ShapeError);
    expect(() => nx.adamUpdate(g, bad, g, o)).toThrow(/nx\.adamUpdate: mu has shape \[3, 2\] but grad has \[2, 3\]/);
    expect(() => nx.adamUpdate(g, g, bad, o)).toThrow(/nu has shape \[3, 2\]/);
    expect(() => nx.adamUpdate(g, g, g, { ...o, epsHat: g })).toThrow(/epsHat must be a scalar, got shape \[2, 3\]/);
    expect(() => nx.adamUpdate(g, g, g, { ...o, beta1: 0.9 } as never)).toThrow(/unknown option "beta1"/);
    nx.dispose([g, bad]);
  });

  it.runIf(native)('runs as one TensorFlow op (RavenAdamUpdate) on the native CPU backend', () => {
    const g = nx.ones([64]);
    let r: nx.AdamUpdateResult | undefined;
    const ops = opsRun(() => { r = nx.adamUpdate(g, g, g, { b1: 0.9, b2: 0.999, epsHat: 1e-8, stepScale: 1 }); });
    // the two number options become scalar tensors (uploads, not ops); the update is one op
    expect(ops.filter((o) => o !== 'Reshape')).toEqual(nx.backendInfo().tensorflow?.gpu ? expect.arrayContaining(['Sqrt']) : ['RavenAdamUpdate']);
    nx.dispose([g, r!.mu, r!.nu, r!.update]);
  });

  it('inside nx.jit: the jitted update equals the eager one over steps with changing scalars; nothing leaks', () => {
    const n = 1000;
    const step = nx.jit((g: nx.Tensor, m: nx.Tensor, v: nx.Tensor, e: nx.Tensor, s: nx.Tensor) => {
      const r = nx.adamUpdate(g, m, v, { b1: 0.9, b2: 0.999, epsHat: e, stepScale: s });
      return [r.mu, r.nu, r.update];
    }, { name: 'adamUpdateTest' });
    let [m, v] = [nx.zeros([n]), nx.zeros([n])];
    let [me, ve] = [nx.zeros([n]), nx.zeros([n])];
    let baseline = 0;
    for (let t = 1; t <= 6; t++) {
      const g = nx.fromArray(values(10 + t, n, 1), { shape: [n] });
      const e = nx.scalar(1e-8 * Math.sqrt(1 - 0.999 ** t));
      const s = nx.scalar(Math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t));
      const [m1, v1, u] = step(g, m, v, e, s) as nx.Tensor[];
      const r = nx.adamUpdate(g, me, ve, { b1: 0.9, b2: 0.999, epsHat: e, stepScale: s });
      expect(mismatches(nx.toTypedArray(u!) as Float32Array, nx.toTypedArray(r.update) as Float32Array)).toEqual([]);
      expect(mismatches(nx.toTypedArray(v1!) as Float32Array, nx.toTypedArray(r.nu) as Float32Array)).toEqual([]);
      nx.dispose([m, v, me, ve, g, e, s, u!]);
      nx.dispose(r.update);
      [m, v, me, ve] = [m1!, v1!, r.mu, r.nu];
      if (t === 2) baseline = nx.memory().numTensors;
      if (t > 2) expect(nx.memory().numTensors).toBe(baseline);
    }
    if (native) {
      const text = registeredFunctionDefText('adamUpdateTest');
      expect(text).toBeDefined();
      if (!nx.backendInfo().tensorflow?.gpu) expect(text!).toContain('RavenAdamUpdate');
    }
    nx.dispose([m, v, me, ve]);
    step.dispose();
  });
});
