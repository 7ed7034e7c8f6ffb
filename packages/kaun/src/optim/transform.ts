/**
 * Elementary gradient transformations (Optax's `transform.py`): momentum (`trace`), scaling by a
 * constant, a learning rate or a schedule, decoupled weight decay, and `chain`.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { OptimError } from '../errors.js';
import * as Ptree from '../ptree/index.js';
import type { Tree } from '../ptree/index.js';
import { countScalar, makeCount, nextCount } from './count.js';
import type { Schedule } from './schedule.js';
import type { LearningRate, Optimizer } from './types.js';
import { checkLr, checkNumber, leavesLike, needParams, stateDict } from './_util.js';

/** The transformation that returns the gradients unchanged, with state `{}`. */
export function identity(): Optimizer {
  return { init: () => ({}), update: (grads) => ({ updates: grads, state: {} }) };
}

/** Options of {@link trace}. */
export interface TraceOptions {
  /** Momentum coefficient; default 0.9. */
  decay?: number;
  /** Nesterov momentum; default false. */
  nesterov?: boolean;
}

const TRACE_KEYS: nx.OptionKeys<TraceOptions> = { decay: true, nesterov: true };

/**
 * Momentum, as Optax's `trace` and `torch.optim.SGD` (dampening 0):
 * `trace = g + decay * trace`; the update is `trace`, or `g + decay * trace` with Nesterov.
 * The trace starts at 0, so the first update is `g`.
 *
 * State: `{trace}`, a tree shaped like the parameters.
 * @throws OptimError for a negative `decay`.
 */
export function trace(options: TraceOptions = {}): Optimizer {
  nx.checkOptions('Optim.trace', options, TRACE_KEYS);
  const fn = 'Optim.trace';
  const decay = checkNumber(fn, 'decay', options.decay ?? 0.9, 0);
  const nesterov = options.nesterov ?? false;
  return {
    init: (params) => nx.scope(() => ({ trace: Ptree.zerosLike(params) })),
    update: (grads, state) => {
      const s = stateDict(fn, state, ['trace']);
      return nx.scope(() => {
        const { leaves: gs, rebuild } = Ptree.flatten(grads);
        const ts = leavesLike(fn, 'the state trace', gs, s['trace']!);
        const cD = nx.scalar(decay);
        const tr: Tensor[] = [];
        const ups: Tensor[] = [];
        for (let i = 0; i < gs.length; i++) {
          const t = nx.add(gs[i]!, nx.mul(ts[i]!, cD));
          tr.push(t);
          ups.push(nesterov ? nx.add(gs[i]!, nx.mul(t, cD)) : t);
        }
        return { updates: rebuild(ups), state: { trace: rebuild(tr) } as Tree };
      });
    },
  };
}

function scaleLeaves(grads: Tree, factor: number): Tree {
  return nx.scope(() => {
    const c = nx.scalar(factor);
    return Ptree.map(grads, (g) => nx.mul(g, c));
  });
}

/**
 * Multiplies the updates by a constant. State `{}`.
 * @throws OptimError for a non-finite factor.
 */
export function scale(factor: number): Optimizer {
  const f = checkNumber('Optim.scale', 'factor', factor);
  return { init: () => ({}), update: (grads) => ({ updates: scaleLeaves(grads, f), state: {} }) };
}

/**
 * Multiplies the updates by `schedule(step)`, the step counting from 0 for the first update
 * (Optax's `scale_by_schedule`). State: `{count}`, an int32 scalar.
 * @throws OptimError when `schedule` is not a function.
 */
export function scaleBySchedule(schedule: Schedule): Optimizer {
  const fn = 'Optim.scaleBySchedule';
  if (typeof schedule !== 'function') throw new OptimError(`${fn}: expected a schedule (a function of the step), got ${typeof schedule}`);
  return {
    init: () => ({ count: makeCount(0) }),
    update: (grads, state) => {
      const s = stateDict(fn, state, ['count']);
      return nx.scope(() => {
        const factor = countScalar(fn, s['count'], (step) => {
          const v = schedule(step);
          if (!Number.isFinite(v)) throw new OptimError(`${fn}: the schedule returned ${v} at step ${step}`);
          return v;
        });
        return { updates: Ptree.map(grads, (g) => nx.mul(g, factor)), state: { count: nextCount(fn, s['count']) } };
      });
    },
  };
}

/** Options of {@link scaleByLearningRate}. */
export interface ScaleByLearningRateOptions {
  /** Multiply by `-lr` (descent) rather than `lr`; default true. */
  flipSign?: boolean;
}

const SCALE_BY_LR_KEYS: nx.OptionKeys<ScaleByLearningRateOptions> = { flipSign: true };

/**
 * Multiplies the updates by `-lr` (Optax's `scale_by_learning_rate`): a constant gives a
 * stateless transformation (state `{}`), a schedule one with state `{count}` evaluated with the
 * step counting from 0 for the first update.
 * @throws OptimError for a negative or non-finite constant.
 */
export function scaleByLearningRate(lr: LearningRate, options: ScaleByLearningRateOptions = {}): Optimizer {
  nx.checkOptions('Optim.scaleByLearningRate', options, SCALE_BY_LR_KEYS);
  const fn = 'Optim.scaleByLearningRate';
  const rate = checkLr(fn, lr);
  const sign = (options.flipSign ?? true) ? -1 : 1;
  if (typeof rate === 'number') return scale(sign * rate);
  return scaleBySchedule((step) => sign * rate(step));
}

/** Options of {@link addDecayedWeights}. */
export interface AddDecayedWeightsOptions {
  /** The decay coefficient; default 1e-4 (Optax's). */
  weightDecay?: number;
  /**
   * Which parameters decay: called with each parameter's path (`layers.0.bias`) and tensor;
   * default all. E.g. `(path) => !path.endsWith('bias')`.
   */
  mask?: (path: string, param: Tensor) => boolean;
}

const DECAY_KEYS: nx.OptionKeys<AddDecayedWeightsOptions> = { weightDecay: true, mask: true };

/**
 * Adds `weightDecay * param` to the updates (Optax's `add_decayed_weights`). Before
 * `scaleByLearningRate` this is decoupled weight decay (AdamW: `p -= lr * wd * p`); before a
 * moment transformation it is L2 regularisation (PyTorch's `weight_decay` in SGD and Adam).
 * Stateless (state `{}`); `update` needs `params`.
 * @throws OptimError for a negative `weightDecay`, or at update time when `params` is missing.
 */
export function addDecayedWeights(options: AddDecayedWeightsOptions = {}): Optimizer {
  nx.checkOptions('Optim.addDecayedWeights', options, DECAY_KEYS);
  const fn = 'Optim.addDecayedWeights';
  const wd = checkNumber(fn, 'weightDecay', options.weightDecay ?? 1e-4, 0);
  const mask = options.mask;
  return {
    init: () => ({}),
    update: (grads, _state, params) => {
      const p = needParams(fn, params);
      if (wd === 0) return { updates: grads, state: {} };
      return nx.scope(() => {
        const { leaves: gs, rebuild } = Ptree.flatten(grads);
        const ps = leavesLike(fn, 'the parameters', gs, p);
        const paths = mask ? Ptree.flattenWithPaths(p).map(([path]) => path) : [];
        const c = nx.scalar(wd);
        const ups = gs.map((g, i) => (mask && !mask(paths[i]!, ps[i]!) ? g : nx.add(g, nx.mul(ps[i]!, c))));
        return { updates: rebuild(ups), state: {} as Tree };
      });
    },
  };
}

/**
 * Applies transformations in order, each to the previous one's updates (Optax's `chain`).
 * State: a list with one state per transformation (paths `0.count`, `0.mu.<param path>`, ...).
 * @example `Optim.chain(Optim.clipByGlobalNorm(1), Optim.scaleByAdam(), Optim.scaleByLearningRate(1e-3))`
 */
export function chain(...transforms: Optimizer[]): Optimizer {
  transforms.forEach((t, i) => {
    if (!t || typeof t.init !== 'function' || typeof t.update !== 'function') throw new OptimError(`Optim.chain: argument ${i} is not an optimizer (an object with init and update)`);
  });
  return {
    init: (params) => transforms.map((t) => t.init(params)),
    update: (grads, state, params) => {
      if (!Array.isArray(state) || state.length !== transforms.length) {
        throw new OptimError(`Optim.chain: expected the state from init (a list of ${transforms.length} states), got ${Array.isArray(state) ? `a list of ${state.length}` : typeof state}`);
      }
      return nx.scope(() => {
        let updates = grads;
        const states: Tree[] = [];
        const held = new Set<Tensor>(Ptree.leaves(grads)); // the caller's gradients: never freed here
        transforms.forEach((t, i) => {
          const r = t.update(updates, state[i]!, params);
          for (const l of Ptree.leaves(r.state)) held.add(l);
          // free the previous transform's updates as soon as the next one has consumed them, unless
          // they live on in a state (momentum's trace) or in the new updates: keeps peak memory near
          // one update tree instead of one per transform
          if (i > 0) {
            const next = new Set(Ptree.leaves(r.updates));
            for (const l of Ptree.leaves(updates)) if (!held.has(l) && !next.has(l) && !l.isDisposed) l.dispose();
          }
          updates = r.updates;
          states.push(r.state);
        });
        return { updates, state: states };
      });
    },
  };
}
