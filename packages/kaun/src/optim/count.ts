/**
 * Step counters of optimizer states. A counter is an int32 scalar tensor (so the state checkpoints
 * with everything else) made by `nx.hostScalar`, so its value is also known on the host: reading
 * it for a schedule or a bias correction never waits on the device, and inside `nx.jit` the
 * values computed from it are recomputed on the host at every call instead of baked into the
 * graph. Internal.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { OptimError } from '../errors.js';

/** A new int32 scalar counter holding `n`. @internal */
export function makeCount(n: number): Tensor {
  return nx.hostScalar([], () => n, 'int32');
}

function checkCount(fn: string, t: unknown): asserts t is Tensor {
  if (!nx.isTensor(t) || t.rank !== 0) {
    throw new OptimError(`${fn}: the optimizer state has no scalar step count where one was expected; pass the state this optimizer's init returned`);
  }
}

/** The counter after `count`: `count + 1`. @internal */
export function nextCount(fn: string, count: unknown): Tensor {
  checkCount(fn, count);
  return nx.hostScalar([count], (c) => c + 1, 'int32');
}

/**
 * A float32 scalar computed on the host from the value of a counter, `f(count)` (a schedule, a
 * bias correction). @internal
 */
export function countScalar(fn: string, count: unknown, f: (count: number) => number): Tensor {
  checkCount(fn, count);
  return nx.hostScalar([count], f);
}

/**
 * A host decision from the value of a counter, `f(count)` (e.g. whether this micro-step applies
 * the accumulated update); inside `nx.jit` it is part of the trace's signature. @internal
 */
export function countStatic<T extends number | boolean>(fn: string, count: unknown, f: (count: number) => T): T {
  checkCount(fn, count);
  return nx.hostStatic([count], f);
}
