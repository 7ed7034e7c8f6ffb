/**
 * Losses on pairs of embeddings.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { KaunError } from '../errors.js';
import { asFloat, reduce, sameShape, type ReductionOptions } from './reduce.js';

/** Options of {@link cosineEmbedding}. */
export interface CosineEmbeddingOptions extends ReductionOptions {
  /** Margin in [-1, 1] below which dissimilar pairs cost nothing; default 0. */
  margin?: number;
}

const KEYS: nx.OptionKeys<CosineEmbeddingOptions> = { margin: true, reduction: true };

/**
 * Cosine embedding loss, as PyTorch's `cosine_embedding_loss`: with
 * `cos = <x1, x2> / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12))` over the last axis, a pair labelled
 * `1` costs `1 - cos` and a pair labelled `-1` costs `max(0, cos - margin)`.
 *
 * - `x1`, `x2`: `[N, D]` (or `[D]`); `y`: `[N]` (or a scalar) of 1 and -1 (any dtype).
 * - Result: the mean over pairs (default), the sum, or `[N]` with `'none'`.
 * @throws ShapeError when the shapes do not fit; KaunError for a margin outside [-1, 1].
 * @example `Loss.cosineEmbedding(a, b, labels, { margin: 0.2 })`
 */
export function cosineEmbedding(x1: Tensor, x2: Tensor, y: Tensor, options: CosineEmbeddingOptions = {}): Tensor {
  const fn = 'Loss.cosineEmbedding';
  nx.checkOptions(fn, options, KEYS);
  const margin = options.margin ?? 0;
  if (!(typeof margin === 'number' && margin >= -1 && margin <= 1)) throw new KaunError(`${fn}: margin must be in [-1, 1], got ${String(margin)}`);
  sameShape(fn, x1, x2, 'x1', 'x2');
  if (x1.rank < 1 || x1.rank > 2 || y.rank !== x1.rank - 1 || (x1.rank === 2 && y.shape[0] !== x1.shape[0])) {
    throw new nx.ShapeError(`${fn}: expected x1, x2 [N, D] and y [N] (or [D] and a scalar), got [${x1.shape.join(', ')}] and y [${y.shape.join(', ')}]`);
  }
  return nx.scope(() => {
    const a = asFloat(x1);
    const b = asFloat(x2);
    const dot = nx.sum(nx.mul(a, b), { axis: -1 });
    const na = nx.add(nx.sum(nx.square(a), { axis: -1 }), 1e-12);
    const nb = nx.add(nx.sum(nx.square(b), { axis: -1 }), 1e-12);
    const cos = nx.div(dot, nx.sqrt(nx.mul(na, nb)));
    const yf = asFloat(y);
    const pos = nx.where(nx.equal(yf, 1), nx.sub(1, cos), 0);
    const neg = nx.where(nx.equal(yf, -1), nx.maximum(nx.sub(cos, margin), 0), 0);
    return reduce(fn, nx.add(pos, neg), options.reduction);
  });
}
