/**
 * The narrow interface through which the rest of nx talks to a trace in progress (`nx.jit`):
 * random keys passed to a jitted function, samplers drawing from them, host scalars, and index
 * reads. When no trace runs, `activeTrace()` is `undefined` and every caller takes its eager
 * path. This module imports nothing heavy, so `random/` and `ops/` can use it without cycles.
 * Internal.
 * @module
 */
import type { Tensor, TypedArray } from '../tensor.js';
import type { Key } from '../random/key.js';

/** How a key was derived from its parent: `split(parent, n)[i]` or `foldIn(parent, data)`. */
export type KeyStep = { split: number; index: number } | { foldIn: number };

/** What a trace in progress offers the rest of nx. @internal */
export interface TraceHooks {
  /** A key was derived from `parent` (`split`/`foldIn`); the trace follows keys passed in. */
  keyDerived(parent: Key, child: Key, step: KeyStep): void;
  /** Whether `key` is (derived from) a key passed to the traced function. */
  isTracedKey(key: Key): boolean;
  /**
   * `t` was made from host numbers drawn from `key` by `draw`; when the key comes from the
   * traced function's arguments, `t` becomes an input of the graph drawn again at every call.
   */
  randomTensor(t: Tensor, key: Key, draw: (k: Key) => TypedArray): void;
  /** Whether `t`'s value depends on the traced function's tensor inputs (so it is unknown while tracing). */
  isTraced(t: Tensor): boolean;
  /** `nx.hostScalar` inside a trace: see host.ts. */
  hostScalar(inputs: readonly Tensor[], f: (...values: number[]) => number, dtype: 'float32' | 'int32'): Tensor;
  /** `nx.hostStatic` inside a trace: see host.ts. */
  hostStatic<T extends number | boolean | string>(inputs: readonly Tensor[], f: (...values: number[]) => T): T;
  /** `nx.hostCheck` inside a trace: see host.ts. */
  hostCheck(t: Tensor, check: (values: TypedArray) => void): boolean;
}

let active: TraceHooks | undefined;

/** The trace in progress, if any. @internal */
export function activeTrace(): TraceHooks | undefined {
  return active;
}

/** Installs (or clears) the trace in progress; returns the previous one. @internal */
export function setActiveTrace(hooks: TraceHooks | undefined): TraceHooks | undefined {
  const prev = active;
  active = hooks;
  return prev;
}
