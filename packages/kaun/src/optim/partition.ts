/**
 * Different rules for different parameters: Optax's `masked`, `multi_transform` and
 * `set_to_zero`, and {@link freeze} built from them.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { OptimError } from '../errors.js';
import * as Ptree from '../ptree/index.js';
import type { Tree } from '../ptree/index.js';
import { checkKey } from '../ptree/tree.js';
import type { Optimizer } from './types.js';

/** Picks parameters by their path (`encoder.layer.0.attention.self.query.weight`) and tensor. */
export type ParamPredicate = (path: string, param: Tensor) => boolean;

/** The transformation that turns every update into zeros (Optax's `set_to_zero`). State `{}`. */
export function setToZero(): Optimizer {
  return { init: () => ({}), update: (grads) => ({ updates: nx.scope(() => Ptree.map(grads, (g) => nx.zerosLike(g))), state: {} }) };
}

interface Partition {
  /** Leaf positions of each group, in tree order. */
  groups: Map<string, number[]>;
  /** The paths of the leaves. */
  paths: string[];
}

function partition(fn: string, tree: Tree, label: (path: string, t: Tensor) => string, known: ReadonlySet<string>): Partition {
  const entries = Ptree.flattenWithPaths(tree);
  const groups = new Map<string, number[]>([...known].map((k) => [k, []]));
  entries.forEach(([path, t], i) => {
    const g = label(path, t);
    if (!groups.has(g)) throw new OptimError(`${fn}: the label of '${path}' is ${JSON.stringify(g)}, which names no transform (transforms: ${[...known].join(', ')})`);
    groups.get(g)!.push(i);
  });
  return { groups, paths: entries.map(([p]) => p) };
}

/** The subtree holding only the leaves at `idx` (same paths). */
function subtree(paths: string[], leaves: Tensor[], idx: number[]): Tree {
  return Ptree.fromPaths(idx.map((i) => [paths[i]!, leaves[i]!] as const));
}

/** Options of {@link multiTransform}. */
export interface MultiTransformOptions {
  /** One transformation per group name, e.g. `{ encoder: Optim.adamw({ lr: 1e-5 }), head: Optim.adamw({ lr: 1e-3 }) }`. */
  transforms: Record<string, Optimizer>;
  /** The group of each parameter, from its path and tensor (every parameter must get a group). */
  labels: (path: string, param: Tensor) => string;
}

const MT_KEYS: nx.OptionKeys<MultiTransformOptions> = { transforms: true, labels: true };

/**
 * Applies a different transformation to each group of parameters (Optax's `multi_transform`):
 * each group's transformation sees only its own parameters (a tree with the same paths), so
 * its state covers only them. Per-group learning rates, freezing (a group with
 * {@link setToZero}, or {@link freeze}) and per-group weight decay are all this.
 *
 * - State: `{[group]: that group's state}` (paths `head.0.mu.classifier.weight`).
 * - The labels are computed from the parameters at `init` and checked again at each update.
 * @throws OptimError for a label that names no transform or a state of another structure.
 * @example
 * ```ts
 * const opt = Optim.multiTransform({
 *   transforms: { body: Optim.adamw({ lr: 1e-5 }), head: Optim.adamw({ lr: 1e-3 }) },
 *   labels: (path) => (path.startsWith('classifier.') ? 'head' : 'body'),
 * });
 * ```
 */
export function multiTransform(options: MultiTransformOptions): Optimizer {
  const fn = 'Optim.multiTransform';
  nx.checkOptions(fn, options, MT_KEYS);
  const { transforms, labels } = options ?? ({} as MultiTransformOptions);
  if (transforms === null || typeof transforms !== 'object' || Object.keys(transforms).length === 0) throw new OptimError(`${fn}: transforms must be a non-empty record of optimizers`);
  for (const [k, t] of Object.entries(transforms)) {
    if (!t || typeof t.init !== 'function' || typeof t.update !== 'function') throw new OptimError(`${fn}: transforms.${k} is not an optimizer (an object with init and update)`);
    checkKey(fn, k, '');
  }
  if (typeof labels !== 'function') throw new OptimError(`${fn}: labels must be a function (path, param) => group name`);
  const names = new Set(Object.keys(transforms));
  return {
    init: (params) => {
      const { groups, paths } = partition(fn, params, labels, names);
      const leaves = Ptree.leaves(params);
      const state: Record<string, Tree> = {};
      for (const [g, idx] of groups) state[g] = transforms[g]!.init(subtree(paths, leaves, idx));
      return state;
    },
    update: (grads, state, params) => {
      if (state === null || typeof state !== 'object' || nx.isTensor(state) || Array.isArray(state) || [...names].some((g) => !(g in state))) {
        throw new OptimError(`${fn}: expected the state from init (a dict with ${[...names].join(', ')})`);
      }
      const st = state as Record<string, Tree>;
      // labels come from the parameters when given (the paths are the same as the gradients')
      const { groups, paths } = partition(fn, params ?? grads, labels, names);
      const gs = Ptree.flatten(grads);
      const ps = params === undefined ? undefined : Ptree.leaves(params);
      const ups: Tensor[] = new Array<Tensor>(gs.leaves.length);
      const next: Record<string, Tree> = {};
      return nx.scope(() => {
        for (const [g, idx] of groups) {
          const r = transforms[g]!.update(subtree(paths, gs.leaves, idx), st[g]!, ps === undefined ? undefined : subtree(paths, ps, idx));
          next[g] = r.state;
          const byPath = new Map(Ptree.flattenWithPaths(r.updates));
          for (const i of idx) {
            const u = byPath.get(paths[i]!);
            if (u === undefined) throw new OptimError(`${fn}: transforms.${g} returned updates without '${paths[i]}'`);
            ups[i] = u;
          }
        }
        return { updates: gs.rebuild(ups), state: next as Tree };
      });
    },
  };
}

/**
 * Applies `inner` to the parameters `mask` selects; the others' gradients pass through
 * unchanged (Optax's `masked`). `inner`'s state covers only the selected parameters. Note that
 * a gradient passed through is still applied as an update (`-g`, with no learning rate): to
 * keep parameters fixed use {@link freeze}.
 * State: `{inner}`.
 * @throws OptimError when `mask` is not a function.
 * @example `Optim.chain(Optim.masked(Optim.addDecayedWeights({ weightDecay: 0.01 }), (p) => p.endsWith('weight')), ...)`
 */
export function masked(inner: Optimizer, mask: ParamPredicate): Optimizer {
  const fn = 'Optim.masked';
  if (typeof mask !== 'function') throw new OptimError(`${fn}: mask must be a function (path, param) => boolean`);
  const mt = multiTransform({ transforms: { inner, rest: { init: () => ({}), update: (g) => ({ updates: g, state: {} }) } }, labels: (p, t) => (mask(p, t) ? 'inner' : 'rest') });
  return {
    init: (params) => ({ inner: (mt.init(params) as Record<string, Tree>)['inner']! }),
    update: (grads, state, params) => {
      const s = state as Record<string, Tree>;
      if (s === null || typeof s !== 'object' || !('inner' in s)) throw new OptimError(`${fn}: expected the state from init (a dict with inner)`);
      const r = mt.update(grads, { inner: s['inner']!, rest: {} }, params);
      return { updates: r.updates, state: { inner: (r.state as Record<string, Tree>)['inner']! } };
    },
  };
}

/** Options of {@link freeze}. */
export interface FreezeOptions {
  /** The parameters to keep fixed, by path and tensor (e.g. `(path) => path.startsWith('embeddings.')`). */
  frozen: ParamPredicate;
}

const FREEZE_KEYS: nx.OptionKeys<FreezeOptions> = { frozen: true };

/**
 * Keeps the `frozen` parameters fixed and trains the others with `inner`:
 * `multiTransform({ transforms: { trainable: inner, frozen: setToZero() }, labels })`.
 * Frozen parameters get zero updates (they stay bit for bit) and no optimizer state: Adam's
 * moments exist only for the trainable ones. Given to `Train.make` as the optimizer itself,
 * `Train.step` does not even compute their gradients (the backward pass stops where nothing
 * trainable is left, as with PyTorch's `requires_grad_(False)`); inside a `chain` or
 * `multiSteps`, their gradients are computed and dropped.
 * State: `{trainable: inner's state, frozen: {}}`.
 * @throws OptimError when `frozen` is not a function.
 * @example
 * ```ts
 * // fine-tune only BERT's classifier head
 * const opt = Optim.freeze(Optim.adamw({ lr: 1e-3 }), { frozen: (path) => !path.startsWith('classifier.') });
 * ```
 */
export function freeze(inner: Optimizer, options: FreezeOptions): Optimizer {
  const fn = 'Optim.freeze';
  nx.checkOptions(fn, options, FREEZE_KEYS);
  const frozen = options?.frozen;
  if (typeof frozen !== 'function') throw new OptimError(`${fn}: frozen must be a function (path, param) => boolean`);
  const opt = multiTransform({ transforms: { trainable: inner, frozen: setToZero() }, labels: (p, t) => (frozen(p, t) ? 'frozen' : 'trainable') });
  return Object.assign(opt, { [FROZEN]: frozen });
}

const FROZEN = Symbol('raven.frozen');

/**
 * The rule of an {@link freeze} optimizer given to `Train` directly (so `Train.step` can leave
 * the frozen parameters out of the gradient), else `undefined`. @internal
 */
export function frozenRule(optimizer: Optimizer): ParamPredicate | undefined {
  return (optimizer as { [FROZEN]?: ParamPredicate })[FROZEN];
}

/**
 * A predicate on parameter paths from glob patterns or regular expressions: in a pattern `*`
 * matches within one path segment and `**` matches any number of whole segments (none
 * included), so `'**.bias'` is every bias, `'encoder.layer.*.attention.**'` every attention
 * parameter, and `'embeddings.**'` everything under `embeddings`. A RegExp is tested against the
 * whole path.
 * @throws OptimError for a pattern that is neither a string nor a RegExp.
 * @example
 * ```ts
 * const noDecay = Optim.matchPaths('**.bias', '**.LayerNorm.weight'); // as HF Trainer
 * const opt = Optim.adamw({ lr: 5e-5, weightDecay: 0.01, mask: (path) => !noDecay(path) });
 * ```
 */
export function matchPaths(...patterns: Array<string | RegExp>): (path: string) => boolean {
  const res = patterns.map((p) => {
    if (p instanceof RegExp) return { re: p, dotted: false };
    if (typeof p !== 'string') throw new OptimError(`Optim.matchPaths: patterns must be strings or RegExps, got ${typeof p}`);
    // matched against '.' + path: a segment is '\.' + its body, '**' any number of '\.segment'
    const body = p.split('.').map((s) => (s === '**' ? '(?:\\.[^.]+)*' : `\\.${s.split('*').map((q) => q.replace(/[\\^$+?()[\]{}|]/g, '\\$&')).join('[^.]*')}`)).join('');
    return { re: new RegExp(`^${body}$`), dotted: true };
  });
  return (path: string) => res.some(({ re, dotted }) => re.test(dotted ? `.${path}` : path));
}
