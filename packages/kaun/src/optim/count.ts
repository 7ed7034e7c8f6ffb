/**
 * Step counters of optimizer states. A counter is an int32 scalar tensor (so the state checkpoints
 * with everything else); its value is also remembered on the host, so reading it for a schedule
 * or a bias correction never waits on the device. Internal.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { OptimError } from '../errors.js';

const known = new WeakMap<Tensor, number>();

/** A new int32 scalar counter holding `n`, with its value remembered on the host. @internal */
export function makeCount(n: number): Tensor {
  const t = nx.scalar(n, 'int32');
  known.set(t, n);
  return t;
}

/**
 * The value of a counter: from the host cache when this process made it, else read once from the
 * device (e.g. a counter loaded from a checkpoint) and cached.
 * @throws OptimError when `t` is not a scalar tensor.
 * @internal
 */
export function readCount(fn: string, t: unknown): number {
  if (!nx.isTensor(t) || t.rank !== 0) {
    throw new OptimError(`${fn}: the optimizer state has no scalar step count where one was expected; pass the state this optimizer's init returned`);
  }
  const v = known.get(t);
  if (v !== undefined) return v;
  const read = Number(nx.item(t));
  known.set(t, read);
  return read;
}
