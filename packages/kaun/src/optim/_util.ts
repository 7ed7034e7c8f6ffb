/**
 * Shared helpers of the optimizers: option validation and leafwise zips of trees. Internal.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { OptimError, TreeStructureError } from '../errors.js';
import * as Ptree from '../ptree/index.js';
import type { Tree } from '../ptree/index.js';
import type { Schedule } from './schedule.js';

/** Throws unless `v` is a finite number in `[lo, hi)` (or `[lo, hi]` when `closed`). @internal */
export function checkNumber(fn: string, name: string, v: unknown, lo = -Infinity, hi = Infinity, closed = false): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && v >= lo && (closed ? v <= hi : v < hi);
  if (!ok) {
    const range = hi === Infinity ? `>= ${lo}` : `in [${lo}, ${hi}${closed ? ']' : ')'}`;
    throw new OptimError(`${fn}: ${name} must be a finite number ${range}, got ${String(v)}`);
  }
  return v;
}

/** Throws unless `lr` is a non-negative finite number or a function. @internal */
export function checkLr(fn: string, lr: unknown): number | Schedule {
  if (typeof lr === 'function') return lr as Schedule;
  return checkNumber(fn, 'lr', lr, 0);
}

/** The state of a transformation as a dict, or an error saying what was expected. @internal */
export function stateDict(fn: string, state: Tree, keys: string[]): Record<string, Tree> {
  if (state === null || typeof state !== 'object' || Array.isArray(state) || nx.isTensor(state) || keys.some((k) => !(k in state))) {
    throw new OptimError(`${fn}: expected the optimizer state from init (a dict with ${keys.join(', ')}), got ${describeState(state)}`);
  }
  return state as Record<string, Tree>;
}

function describeState(s: unknown): string {
  if (nx.isTensor(s)) return 'a tensor';
  if (Array.isArray(s)) return `a list of ${s.length}`;
  if (s !== null && typeof s === 'object') return `a dict with keys [${Object.keys(s).join(', ')}]`;
  return String(s);
}

/**
 * The leaves of `other`, checked against the reference leaves (count and shapes): trees passed to
 * one update (gradients, moments, parameters) must have the same structure.
 * @internal
 */
export function leavesLike(fn: string, what: string, ref: readonly Tensor[], other: Tree): Tensor[] {
  const ls = Ptree.leaves(other);
  if (ls.length !== ref.length) {
    throw new TreeStructureError(`${fn}: ${what} has ${ls.length} leaves but the gradients have ${ref.length}; pass trees of the same structure`);
  }
  for (let i = 0; i < ls.length; i++) {
    const a = ref[i]!.shape;
    const b = ls[i]!.shape;
    if (a.length !== b.length || a.some((d, j) => d !== b[j])) {
      throw new TreeStructureError(`${fn}: leaf ${i} of ${what} has shape [${b.join(', ')}] but the gradient has shape [${a.join(', ')}]`);
    }
  }
  return ls;
}

/** Throws unless `params` was passed (transformations that read the parameters). @internal */
export function needParams(fn: string, params: Tree | undefined): Tree {
  if (params === undefined) throw new OptimError(`${fn}: this transformation reads the parameters; call update(grads, state, params)`);
  return params;
}
