/**
 * Shared checks of the layer catalog. Internal.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { LayerError } from '../errors.js';
import type { Tree } from '../ptree/index.js';
import * as Random from '../init/initializer.js';

const FREED_VARS =
  'The variables given to apply were freed: after Train.step or Train.fit, the variables of the state you passed are replaced and freed; ' +
  'take them from the returned state (Train.vars(state)), and do not dispose vars you still apply.';

/** The tensor `tree[name]`; throws a LayerError naming the layer and key when absent. @internal */
export function param(fn: string, tree: Tree, name: string): Tensor {
  const t = (tree as Record<string, Tree> | undefined)?.[name];
  if (!nx.isTensor(t)) {
    throw new LayerError(`${fn}: expected a tensor '${name}' in the variables, got ${t === undefined ? 'nothing' : 'a container'}; pass the vars this layer's init made`);
  }
  if (t.isDisposed) throw new nx.DisposedTensorError(`${fn}: apply`, name, t, FREED_VARS, 'variable');
  return t;
}

/** Like {@link param} but returns undefined when the key is absent. @internal */
export function optionalParam(fn: string, tree: Tree, name: string): Tensor | undefined {
  const t = (tree as Record<string, Tree> | undefined)?.[name];
  if (t === undefined) return undefined;
  if (!nx.isTensor(t)) throw new LayerError(`${fn}: '${name}' in the variables is not a tensor`);
  if (t.isDisposed) throw new nx.DisposedTensorError(`${fn}: apply`, name, t, FREED_VARS, 'variable');
  return t;
}

/** Throws a LayerError unless `v` is a positive integer. @internal */
export function checkPositiveInt(fn: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new LayerError(`${fn}: ${name} must be a positive integer, got ${String(v)}`);
}

/** Formats a shape. @internal */
export function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Re-export of the key type for the catalog. @internal */
export type Key = Random.Key;
