/**
 * The reduction shared by every loss.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { KaunError } from '../errors.js';

/**
 * How a loss reduces its per-element (or per-example) values: `'mean'` (a scalar, the default),
 * `'sum'` (a scalar) or `'none'` (no reduction).
 */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options every loss takes. */
export interface ReductionOptions {
  /** default `'mean'`. */
  reduction?: Reduction;
}

/** The keys of {@link ReductionOptions}. @internal */
export const REDUCTION_KEYS: nx.OptionKeys<ReductionOptions> = { reduction: true };

/** Applies a reduction. @internal */
export function reduce(fn: string, x: Tensor, reduction: Reduction | undefined): Tensor {
  switch (reduction ?? 'mean') {
    case 'mean': return nx.mean(x);
    case 'sum': return nx.sum(x);
    case 'none': return x;
    default: throw new KaunError(`${fn}: reduction must be 'mean', 'sum' or 'none', got ${String(reduction)}`);
  }
}

/** Throws unless the two shapes are equal. @internal */
export function sameShape(fn: string, a: Tensor, b: Tensor, an: string, bn: string): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new nx.ShapeError(`${fn}: ${an} has shape [${a.shape.join(', ')}] but ${bn} has shape [${b.shape.join(', ')}]; they must match`);
  }
}

/** Casts to float32 unless already float32. @internal */
export function asFloat(x: Tensor): Tensor {
  return x.dtype === 'float32' ? x : nx.cast(x, 'float32');
}
