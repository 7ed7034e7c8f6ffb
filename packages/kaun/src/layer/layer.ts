/**
 * The layer interface and its variables: `init` gives `{params, state, dtype}`, `apply` gives
 * the output and the new state.
 * @module
 */
import type * as nx from '@raven/nx';
import type { DType, Tensor } from '@raven/nx';
import type { Tree } from '../ptree/index.js';

/** A PRNG key of `nx.random`. */
export type Key = nx.random.Key;

/**
 * The variables of a layer: trainable `params`, non-trainable `state` (e.g. batch-norm running
 * statistics; `{}` when there is none) and the dtype the layer was initialised in.
 */
export interface Vars {
  /** Trainable parameters (what the optimizer updates). */
  params: Tree;
  /** Non-trainable state, threaded through `apply`; `{}` when the layer has none. */
  state: Tree;
  /** The floating dtype of the parameters. */
  dtype: DType;
}

/** Options of {@link Layer.init}. */
export interface InitOptions {
  /** The PRNG key the parameters are drawn from. */
  key: Key;
  /** Parameter dtype; default `'float32'`. */
  dtype?: DType;
}

/** Options of {@link Layer.apply}. */
export interface ApplyOptions {
  /** Training mode (dropout active, batch-norm uses and updates batch statistics); default false. */
  training?: boolean;
  /** PRNG key for stochastic layers (dropout); required when one is active in training. */
  key?: Key;
  /** Extra values a custom layer may read (passed unchanged to every child). */
  context?: Record<string, unknown>;
}

/** The keys of {@link InitOptions}. @internal */
export const INIT_KEYS: nx.OptionKeys<InitOptions> = { key: true, dtype: true };
/** The keys of {@link ApplyOptions}. @internal */
export const APPLY_KEYS: nx.OptionKeys<ApplyOptions> = { training: true, key: true, context: true };

/** What {@link Layer.apply} returns: the output and the new state (the old one when unchanged). */
export interface Output<Out = Tensor> {
  /** The output. */
  y: Out;
  /** The new state, of the same structure as `vars.state`. */
  state: Tree;
}

/**
 * A layer: a plain value with `init` and `apply`. Sizes are given when the layer is built, so
 * `init` needs no data. A custom layer is any object with these two functions.
 * @typeParam In - the input type (a tensor for most layers).
 * @typeParam Out - the output type.
 * @example
 * ```ts
 * const scale: Layer.Layer = {
 *   init: () => ({ params: { s: nx.ones([1]) }, state: {}, dtype: 'float32' }),
 *   apply: (vars, x) => ({ y: nx.mul(x, (vars.params as { s: nx.Tensor }).s), state: vars.state }),
 * };
 * ```
 */
export interface Layer<In = Tensor, Out = Tensor> {
  /** What the layer is (`'linear'`, `'lstm'`, `'sequential'`), shown by `Layer.summary`; optional. */
  readonly kind?: string;
  /** Creates fresh variables from a key (and a dtype, default `'float32'`). */
  init(options: InitOptions): Vars;
  /** Runs the layer; returns the output and the new state. */
  apply(vars: Vars, x: In, options?: ApplyOptions): Output<Out>;
}

/** The trainable parameters of `vars`. */
export function params(vars: Vars): Tree {
  return vars.params;
}

/** The non-trainable state of `vars`. */
export function state(vars: Vars): Tree {
  return vars.state;
}

/** `vars` with its parameters replaced (a new object; `vars` is unchanged). */
export function withParams(vars: Vars, p: Tree): Vars {
  return { params: p, state: vars.state, dtype: vars.dtype };
}

/** `vars` with its state replaced (a new object; `vars` is unchanged). */
export function withState(vars: Vars, s: Tree): Vars {
  return { params: vars.params, state: s, dtype: vars.dtype };
}

/** Empty variables, for layers without parameters or state. @internal */
export function emptyVars(dtype: DType = 'float32'): Vars {
  return { params: {}, state: {}, dtype };
}
