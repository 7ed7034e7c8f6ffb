import { describe, expect, it } from 'vitest';
import * as nx from '@raven/nx';
import { Optim, OptimError } from '@raven/kaun';

const S = Optim.Schedule;

describe('Optim.Schedule', () => {
  it('constant', () => {
    const s = S.constant(0.3);
    expect([s(0), s(10), s(1e6)]).toEqual([0.3, 0.3, 0.3]);
  });

  it('linear: init at begin, end after begin + steps, linear between', () => {
    const s = S.linear({ init: 1, end: 0.2, steps: 8, begin: 2 });
    expect(s(0)).toBe(1);
    expect(s(2)).toBe(1);
    expect(s(6)).toBeCloseTo(1 - 0.8 * (4 / 8), 12);
    expect(s(10)).toBeCloseTo(0.2, 12);
    expect(s(100)).toBeCloseTo(0.2, 12);
  });

  it('warmupLinear equals transformers get_linear_schedule_with_warmup (peak * lr_lambda)', () => {
    const peak = 5e-5, warm = 10, total = 50;
    // lr_lambda from transformers, written out:
    const lambda = (step: number) => (step < warm ? step / Math.max(1, warm) : Math.max(0, (total - step) / Math.max(1, total - warm)));
    const s = S.warmupLinear({ peak, warmupSteps: warm, totalSteps: total });
    for (const step of [0, 1, 5, 9, 10, 11, 30, 49, 50, 51, 200]) expect(s(step)).toBeCloseTo(peak * lambda(step), 15);
    expect(s(0)).toBe(0); // the first update has lr 0, as in transformers
  });

  it('warmupLinear with init and end', () => {
    const s = S.warmupLinear({ init: 0.1, peak: 1, end: 0.5, warmupSteps: 4, totalSteps: 14 });
    expect(s(0)).toBeCloseTo(0.1, 12);
    expect(s(2)).toBeCloseTo(0.55, 12);
    expect(s(4)).toBeCloseTo(1, 12);
    expect(s(9)).toBeCloseTo(0.75, 12);
    expect(s(14)).toBeCloseTo(0.5, 12);
    expect(s(99)).toBeCloseTo(0.5, 12);
  });

  it('warmupCosine follows optax.warmup_cosine_decay_schedule', () => {
    const init = 0.01, peak = 1, warm = 10, decay = 110, end = 0.1;
    const s = S.warmupCosine({ init, peak, warmupSteps: warm, decaySteps: decay, end });
    const ref = (step: number) => {
      if (step < warm) return init + (peak - init) * (step / warm);
      const t = Math.min(step - warm, decay - warm);
      const alpha = end / peak;
      return peak * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * t / (decay - warm))) + alpha);
    };
    for (const step of [0, 5, 9, 10, 11, 60, 109, 110, 500]) expect(s(step)).toBeCloseTo(ref(step), 12);
    expect(s(10)).toBeCloseTo(peak, 12);
    expect(s(60)).toBeCloseTo((peak + end) / 2, 12);
    expect(s(110)).toBeCloseTo(end, 12);
  });

  it('cosine decays to alpha * init', () => {
    const s = S.cosine({ init: 2, decaySteps: 10, alpha: 0.1 });
    expect(s(0)).toBeCloseTo(2, 12);
    expect(s(5)).toBeCloseTo(2 * (0.9 * 0.5 + 0.1), 12);
    expect(s(10)).toBeCloseTo(0.2, 12);
    expect(s(20)).toBeCloseTo(0.2, 12);
  });

  it('exponential: smooth and staircase, begin, end bound', () => {
    const smooth = S.exponential({ init: 0.1, decayRate: 0.5, transitionSteps: 100 });
    expect(smooth(0)).toBeCloseTo(0.1, 15);
    expect(smooth(50)).toBeCloseTo(0.1 * 0.5 ** 0.5, 15);
    expect(smooth(250)).toBeCloseTo(0.1 * 0.5 ** 2.5, 15);
    const stairs = S.exponential({ init: 0.1, decayRate: 0.5, transitionSteps: 100, staircase: true });
    expect(stairs(99)).toBeCloseTo(0.1, 15);
    expect(stairs(100)).toBeCloseTo(0.05, 15);
    expect(stairs(250)).toBeCloseTo(0.025, 15);
    const delayed = S.exponential({ init: 1, decayRate: 0.1, transitionSteps: 10, begin: 5, end: 0.01 });
    expect(delayed(3)).toBe(1);
    expect(delayed(15)).toBeCloseTo(0.1, 12);
    expect(delayed(1000)).toBe(0.01);
  });

  it('piecewise changes value at the boundary step', () => {
    const s = S.piecewise({ boundaries: [100, 200], values: [1, 0.5, 0.1] });
    expect([s(0), s(99), s(100), s(199), s(200), s(1e5)]).toEqual([1, 1, 0.5, 0.5, 0.1, 0.1]);
  });

  it('validates in the factory', () => {
    expect(() => S.piecewise({ boundaries: [1, 2], values: [1, 2] })).toThrow(OptimError);
    expect(() => S.piecewise({ boundaries: [2, 1], values: [1, 2, 3] })).toThrow(/increase strictly/);
    expect(() => S.warmupLinear({ peak: 1, warmupSteps: 10, totalSteps: 5 })).toThrow(/totalSteps/);
    expect(() => S.warmupCosine({ peak: 1, warmupSteps: 10, decaySteps: 10 })).toThrow(/decaySteps/);
    expect(() => S.linear({ init: 1, end: 0, steps: 0 })).toThrow(/steps/);
    expect(() => S.exponential({ init: 1, decayRate: 0, transitionSteps: 1 })).toThrow(/decayRate/);
    expect(() => S.constant(Number.NaN)).toThrow(/finite/);
  });
});

describe('schedules inside optimizers', () => {
  it('scaleByLearningRate with a schedule evaluates it at 0, 1, 2, ... and counts in its state', () => {
    const seen: number[] = [];
    const opt = Optim.scaleByLearningRate((s) => { seen.push(s); return 1; });
    let state = opt.init({});
    for (let i = 0; i < 3; i++) {
      const r = opt.update({ g: nx.ones([1]) }, state);
      nx.dispose([state, r.updates]);
      state = r.state;
    }
    expect(seen).toEqual([0, 1, 2]);
    const count = (state as { count: nx.Tensor }).count;
    expect(count.dtype).toBe('int32');
    expect(count.dataSync()[0]).toBe(3);
    nx.dispose(state);
  });
});
