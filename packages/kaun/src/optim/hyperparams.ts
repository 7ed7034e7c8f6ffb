/**
 * Hyperparameters kept in the optimizer state, so they can be changed between steps (by a
 * callback such as `Callback.reduceLROnPlateau`) and are checkpointed: Optax's
 * `inject_hyperparams`.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { OptimError } from '../errors.js';
import type { Tree } from '../ptree/index.js';
import { isDict } from '../ptree/tree.js';
import type { Optimizer } from './types.js';

// Values are host scalars (`nx.hostScalar`), so reading them never waits on the device; inside
// `nx.jit` a value read to build the optimizer is part of the trace's signature (`nx.hostStatic`):
// changing it (a callback lowering the learning rate) traces the step again.
function makeValue(v: number): Tensor {
  const f = Math.fround(v);
  return nx.hostScalar([], () => f);
}

function readValue(t: Tree, where: string): number {
  if (!nx.isTensor(t) || t.rank !== 0) throw new OptimError(`${where}: a hyperparameter in the state is not a scalar tensor`);
  return nx.hostStatic([t], (v) => v);
}

/** Whether a state node is the state of {@link injectHyperparams}. */
function isInjected(node: Tree): node is { hyperparams: Record<string, Tree>; inner: Tree } {
  return isDict(node) && Object.keys(node).length === 2 && isDict(node['hyperparams']) && 'inner' in node;
}

/**
 * Builds the optimizer from hyperparameters held in its state (Optax's `inject_hyperparams`):
 * `make(values)` is called with the current values at every update (cheap: optimizers are
 * closures), so changing a value in the state (see {@link setHyperparams}) changes the next
 * update, and checkpoints carry the values. The state structure of `make(values)` must not
 * depend on the values (a learning rate given as a number never does).
 *
 * - State: `{hyperparams: {[name]: float32 scalar}, inner}`.
 * - Values are float32 in the state: `1e-3` is stored as `Math.fround(1e-3)`.
 * @throws OptimError for a non-finite initial value or a `make` that does not return an optimizer.
 * @example
 * ```ts
 * const opt = Optim.injectHyperparams((h) => Optim.adam({ lr: h.lr }), { lr: 1e-3 });
 * ```
 */
export function injectHyperparams<K extends string>(make: (values: Record<K, number>) => Optimizer, initial: Record<K, number>): Optimizer {
  const fn = 'Optim.injectHyperparams';
  if (typeof make !== 'function') throw new OptimError(`${fn}: make must be a function (values) => optimizer`);
  const names = Object.keys(initial ?? {}) as K[];
  if (names.length === 0) throw new OptimError(`${fn}: give at least one initial value, e.g. { lr: 1e-3 }`);
  for (const k of names) {
    if (typeof initial[k] !== 'number' || !Number.isFinite(initial[k])) throw new OptimError(`${fn}: the initial value of ${k} must be a finite number, got ${String(initial[k])}`);
  }
  let cacheKey = '';
  let cached: Optimizer | undefined;
  const build = (values: Record<K, number>): Optimizer => {
    const key = names.map((k) => values[k]).join(',');
    if (cached === undefined || key !== cacheKey) {
      const o = make(values);
      if (!o || typeof o.init !== 'function' || typeof o.update !== 'function') throw new OptimError(`${fn}: make returned something that is not an optimizer`);
      cached = o;
      cacheKey = key;
    }
    return cached;
  };
  return {
    init: (params) => {
      const hyperparams: Record<string, Tree> = {};
      for (const k of names) hyperparams[k] = makeValue(initial[k]);
      return { hyperparams, inner: build(initial).init(params) };
    },
    update: (grads, state, params) => {
      if (!isInjected(state)) throw new OptimError(`${fn}: expected the state from init ({hyperparams, inner})`);
      const values = {} as Record<K, number>;
      for (const k of names) {
        if (!(k in state.hyperparams)) throw new OptimError(`${fn}: the state has no hyperparameter '${k}'`);
        values[k] = readValue(state.hyperparams[k]!, fn);
      }
      const r = build(values).update(grads, state.inner, params);
      return { updates: r.updates, state: { hyperparams: state.hyperparams, inner: r.state } };
    },
  };
}

/** One {@link injectHyperparams} state found in an optimizer state. */
export interface InjectedHyperparams {
  /** Where it is in the state (`''` at the root, `head` inside a `multiTransform` group). */
  path: string;
  /** The current values. */
  values: Record<string, number>;
}

function visit(tree: Tree, path: string, f: (node: { hyperparams: Record<string, Tree>; inner: Tree }, path: string) => void): void {
  if (nx.isTensor(tree)) return;
  if (isInjected(tree)) {
    f(tree, path);
    visit(tree.inner, join(path, 'inner'), f);
    return;
  }
  if (Array.isArray(tree)) tree.forEach((c, i) => visit(c, join(path, String(i)), f));
  else if (isDict(tree)) for (const [k, c] of Object.entries(tree)) visit(c, join(path, k), f);
}

function join(a: string, b: string): string {
  return a === '' ? b : `${a}.${b}`;
}

/**
 * The injected hyperparameters in an optimizer state, outermost first (reads the device only
 * for values loaded from a checkpoint, once).
 * @example `Optim.hyperparams(state.optState)[0]?.values.lr`
 */
export function hyperparams(optState: Tree): InjectedHyperparams[] {
  const out: InjectedHyperparams[] = [];
  visit(optState, '', (node, path) => {
    const values: Record<string, number> = {};
    for (const [k, t] of Object.entries(node.hyperparams)) values[k] = readValue(t, 'Optim.hyperparams');
    out.push({ path, values });
  });
  return out;
}

/**
 * A new optimizer state with injected hyperparameters changed: `change(name, value, path)`
 * returns the new value (or the old one to keep it). The state is consumed: the replaced scalars
 * are disposed; every other leaf is shared with the new state.
 * @returns the new state and how many values changed.
 * @throws OptimError when `change` returns a non-finite number.
 * @example `({ state: optState } = Optim.setHyperparams(optState, (name, v) => (name === 'lr' ? v / 10 : v)))`
 */
export function setHyperparams(optState: Tree, change: (name: string, value: number, path: string) => number): { state: Tree; changed: number } {
  let changed = 0;
  const old: Tensor[] = [];
  const rebuild = (tree: Tree, path: string): Tree => {
    if (nx.isTensor(tree)) return tree;
    if (isInjected(tree)) {
      const hp: Record<string, Tree> = {};
      for (const [k, t] of Object.entries(tree.hyperparams)) {
        const v = readValue(t, 'Optim.setHyperparams');
        const next = change(k, v, path);
        if (typeof next !== 'number' || !Number.isFinite(next)) throw new OptimError(`Optim.setHyperparams: the new value of ${k} must be a finite number, got ${String(next)}`);
        if (Math.fround(next) === v) hp[k] = t;
        else {
          hp[k] = makeValue(next);
          old.push(t as Tensor);
          changed++;
        }
      }
      return { hyperparams: hp, inner: rebuild(tree.inner, join(path, 'inner')) };
    }
    if (Array.isArray(tree)) return tree.map((c, i) => rebuild(c, join(path, String(i))));
    const out: Record<string, Tree> = {};
    for (const [k, c] of Object.entries(tree)) out[k] = rebuild(c, join(path, k));
    return out;
  };
  const state = rebuild(optState, '');
  nx.dispose(old);
  return { state, changed };
}
