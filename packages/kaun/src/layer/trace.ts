/**
 * Tracing the children a layer applies, for {@link summary}: composite layers apply their children
 * through {@link applyChild}, which reports each call (its name, the child, its variables and its
 * output) to an active tracer and otherwise just applies the child.
 * @module
 */
import type { ApplyOptions, Layer, Output, Vars } from './layer.js';

/** Receives the calls of {@link applyChild} while a summary runs. @internal */
export interface Tracer {
  enter(name: string, layer: Layer<unknown, unknown>, vars: Vars): void;
  exit(output: unknown): void;
  abort(): void;
}

let active: Tracer | undefined;

/** Runs `f` with `tracer` receiving every {@link applyChild} call. @internal */
export function withTracer<T>(tracer: Tracer, f: () => T): T {
  const prev = active;
  active = tracer;
  try {
    return f();
  } finally {
    active = prev;
  }
}

/**
 * Applies `child` as the part `name` of a composite layer: `child.apply(vars, x, options)`, and,
 * while `Layer.summary` runs, reports the call so the child gets a row of its own (its path is
 * the parent's joined with `name`, which should be the key of its parameters in the parent's
 * tree: `'0'`, `'encoder'`, `'layer.3'`). `sequential`, `named` and `compose` use it; write your
 * own composite layers with it to see their parts in summaries.
 * @example `const h = Layer.applyChild('encoder', encoder, { ...vars, params: params.encoder }, x, options).y;`
 */
export function applyChild<In, Out>(name: string | number, child: Layer<In, Out>, vars: Vars, x: In, options?: ApplyOptions): Output<Out> {
  const t = active;
  if (t === undefined) return child.apply(vars, x, options);
  t.enter(String(name), child as Layer<unknown, unknown>, vars);
  let out: Output<Out>;
  try {
    out = child.apply(vars, x, options);
  } catch (e) {
    t.abort();
    throw e;
  }
  t.exit(out.y);
  return out;
}
