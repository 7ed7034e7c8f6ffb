/**
 * Turning predictions and labels into class ids. Internal.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { checkClassIds } from '../loss/class-ids.js';

/**
 * Class ids from predictions: scores `[B, C]` (or `[..., C]`) -> argmax over the last axis;
 * int32 ids `[B]` -> as they are; float `[B]` (binary probabilities or scores) -> `x > threshold`
 * as 0/1. `rankOfIds` is the rank the ids must have (the labels' rank without a class axis).
 * @internal
 */
export function predIds(fn: string, preds: Tensor, rankOfIds: number, threshold: number): Tensor {
  if (preds.rank === rankOfIds + 1) return nx.argmax(preds, { axis: -1 });
  if (preds.rank === rankOfIds) {
    if (preds.dtype === 'int32') return preds;
    if (preds.dtype === 'bool') return nx.cast(preds, 'int32');
    return nx.cast(nx.greater(preds, threshold), 'int32');
  }
  throw new nx.ShapeError(`${fn}: predictions of shape [${preds.shape.join(', ')}] do not fit labels with ${rankOfIds} axes; expected scores [..., C] or class ids of the labels' shape`);
}

/**
 * Class ids from labels: int32 ids as they are, one-hot / probability rows `[..., C]` (float,
 * same rank as score predictions) -> argmax. Returns the ids and their rank.
 * @internal
 */
export function labelIds(fn: string, preds: Tensor, labels: Tensor): Tensor {
  if (labels.dtype === 'int32') return labels;
  if (labels.dtype === 'bool') return nx.cast(labels, 'int32');
  if (labels.rank >= 1 && labels.rank === preds.rank && preds.shape[preds.rank - 1]! > 1 && labels.shape[labels.rank - 1] === preds.shape[preds.rank - 1]) {
    return nx.argmax(labels, { axis: -1 });
  }
  if (labels.rank === preds.rank && preds.rank >= 1 && preds.shape[preds.rank - 1] === 1) {
    throw new nx.ShapeError(`${fn}: ambiguous shapes: predictions [${preds.shape.join(', ')}] with a class axis of 1; drop it (nx.squeeze)`);
  }
  // float 0/1 labels for binary predictions
  return nx.cast(nx.greater(labels, 0.5), 'int32');
}

/** Throws unless two id tensors have the same shape. @internal */
export function sameIds(fn: string, p: Tensor, l: Tensor): void {
  if (p.rank !== l.rank || p.shape.some((d, i) => d !== l.shape[i])) {
    throw new nx.ShapeError(`${fn}: predicted ids have shape [${p.shape.join(', ')}] but labels have [${l.shape.join(', ')}]`);
  }
}

/**
 * Checks class-id labels (int32 or bool, not ones derived from one-hot rows) against the class
 * count of score predictions (`[..., C]`; only negative ids are caught for id predictions),
 * skipping `ignoreIndex`.
 * @returns the number of positions that count: a number, or (inside `nx.jit`, where the labels
 *   change from call to call) a float32 scalar computed from them.
 * @throws LabelError for an id out of range.
 * @internal
 */
export function checkedIds(fn: string, preds: Tensor, labels: Tensor, ids: Tensor, ignoreIndex: number | undefined): number | Tensor {
  if (labels.dtype !== 'int32') return ids.size; // one-hot rows or 0/1 targets: ids are in range by construction
  const c = preds.rank === labels.rank + 1 ? preds.shape[preds.rank - 1] : undefined;
  const counts = checkClassIds(fn, labels, c, ignoreIndex);
  if (counts !== undefined) return counts.kept;
  return ignoreIndex === undefined ? ids.size : nx.sum(keptMask(ids, ignoreIndex));
}

/** float32 1 where `ids` differ from `ignoreIndex`, 0 where equal. @internal */
export function keptMask(ids: Tensor, ignoreIndex: number): Tensor {
  return nx.cast(nx.notEqual(ids, ignoreIndex), 'float32');
}
