/**
 * Checking integer class labels: every id must be in `[0, numClasses)` or equal the
 * `ignoreIndex`. Shared by the classification losses and metrics. Internal.
 *
 * The check reads the labels on the host (they are small: one int32 per example or token). A
 * labels tensor already checked for the same class count and ignore index is not read again
 * (the loss and the metrics of one training step share it), except while `nx.jit` traces. Inside `nx.jit` it is an
 * `nx.hostCheck`: labels passed to the jitted step are checked before every call, and the counts
 * are not known at trace time (callers compute them on tensors then).
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { KaunError, LabelError } from '../errors.js';

/** What {@link checkClassIds} found. @internal */
export interface ClassIdCounts {
  /** Labels that count (not equal to the ignore index). */
  kept: number;
  /** Labels equal to the ignore index. */
  ignored: number;
}

const checked = new WeakMap<Tensor, Map<string, ClassIdCounts>>();

/** Throws unless `ignoreIndex` is undefined or an integer. @internal */
export function checkIgnoreIndex(fn: string, ignoreIndex: unknown): asserts ignoreIndex is number | undefined {
  if (ignoreIndex !== undefined && !Number.isInteger(ignoreIndex)) {
    throw new KaunError(`${fn}: ignoreIndex must be an integer (PyTorch uses -100 for padding), got ${String(ignoreIndex)}`);
  }
}

/**
 * Checks int32 class ids against `numClasses` (when known; otherwise only negative ids are
 * caught), skipping `ignoreIndex`.
 * @returns how many labels count and how many are ignored; `undefined` inside `nx.jit` for labels
 *   whose values change from call to call (see the module comment).
 * @throws LabelError naming the first bad label, its position and the class count.
 * @internal
 */
export function checkClassIds(fn: string, labels: Tensor, numClasses: number | undefined, ignoreIndex: number | undefined): ClassIdCounts | undefined {
  const key = `${numClasses ?? ''}|${ignoreIndex ?? ''}`;
  // while tracing the check must run (nx.jit then checks that argument before every call)
  const cached = nx.isTracing() ? undefined : checked.get(labels)?.get(key);
  if (cached !== undefined) return cached;
  const limit = numClasses ?? Infinity;
  let counts: ClassIdCounts = { kept: 0, ignored: 0 };
  const now = nx.hostCheck(labels, (ids) => {
    let ignored = 0;
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i]!;
      if (v === ignoreIndex) {
        ignored++;
        continue;
      }
      if (v < 0 || v >= limit) {
        const where = labels.rank <= 1 ? `at index ${i}` : `at flat index ${i} of labels [${labels.shape.join(', ')}]`;
        const range = numClasses === undefined ? 'class ids must be non-negative' : `class ids must be in [0, ${numClasses - 1}] for ${numClasses} classes`;
        const hint = ignoreIndex === undefined ? '; to skip padding positions pass { ignoreIndex } (PyTorch uses -100)' : ` (ignoreIndex is ${ignoreIndex})`;
        throw new LabelError(`${fn}: label ${v} ${where} is out of range: ${range}${hint}`, { label: v, position: i, numClasses });
      }
    }
    counts = { kept: ids.length - ignored, ignored };
  });
  if (!now) return undefined;
  let perTensor = checked.get(labels);
  if (perTensor === undefined) checked.set(labels, (perTensor = new Map()));
  perTensor.set(key, counts);
  return counts;
}
