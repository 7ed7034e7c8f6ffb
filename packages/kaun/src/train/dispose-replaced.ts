/**
 * Freeing what a step replaced: the leaves of the old state that the new one does not hold.
 * Internal.
 * @module
 */
import type { Tensor } from '@raven/nx';
import * as Ptree from '../ptree/index.js';
import type { Tree } from '../ptree/index.js';

/** Disposes the leaves of `old` that are not leaves of `next`. @internal */
export function disposeReplaced(old: Tree[], next: Tree[]): void {
  const keep = new Set<Tensor>();
  for (const t of next) for (const l of Ptree.leaves(t)) keep.add(l);
  for (const t of old) for (const l of Ptree.leaves(t)) if (!keep.has(l) && !l.isDisposed) l.dispose();
}
