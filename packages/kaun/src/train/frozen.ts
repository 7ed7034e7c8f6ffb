/**
 * Frozen parameters in a training step: with an `Optim.freeze` optimizer, `Train.step` takes
 * gradients only with respect to the trainable parameters (so the backward pass stops where
 * nothing trainable is left, as PyTorch's `requires_grad_(False)`), and frozen parameters are
 * carried over as they are. Internal.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { OptimError } from '../errors.js';
import { frozenRule } from '../optim/partition.js';
import type { Optimizer } from '../optim/index.js';
import * as Ptree from '../ptree/index.js';
import type { Tree } from '../ptree/index.js';

/** The positions of the trainable leaves, or `undefined` when the optimizer freezes nothing. @internal */
export function trainableLeaves(optimizer: Optimizer, params: Tree): number[] | undefined {
  const frozen = frozenRule(optimizer);
  if (frozen === undefined) return undefined;
  const out: number[] = [];
  Ptree.flattenWithPaths(params).forEach(([p, t], i) => { if (!frozen(p, t)) out.push(i); });
  if (out.length === 0) throw new OptimError('Train.step: the Optim.freeze rule freezes every parameter, so there is nothing to train; check its frozen predicate against Ptree.paths(params)');
  return out;
}

/** All leaves, with `some` (the trainable ones, at `idx`) put in place. @internal */
export function withTrainable(all: readonly Tensor[], idx: readonly number[], some: readonly Tensor[]): Tensor[] {
  const out = [...all];
  idx.forEach((i, j) => { out[i] = some[j]!; });
  return out;
}

/** `params + updates` for the trainable leaves; frozen ones are the same tensors (not `p + 0`). @internal */
export function applyTrainable(params: Tree, updates: Tree, idx: readonly number[]): Tree {
  const { leaves, rebuild } = Ptree.flatten(params);
  const ups = Ptree.leaves(updates);
  const train = new Set(idx);
  return nx.scope(() => rebuild(leaves.map((p, i) => (train.has(i) ? nx.add(p, ups[i]!) : p))));
}
