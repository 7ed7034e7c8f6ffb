/**
 * Composition: {@link sequential} (a list of layers), {@link compose} (two layers, `left` then
 * `right`) and {@link named} (a dict of named children with an optional forward function).
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { LayerError } from '../errors.js';
import { isDict } from '../ptree/tree.js';
import type { Tree } from '../ptree/index.js';
import { APPLY_KEYS, INIT_KEYS, type ApplyOptions, type Layer, type Vars } from './layer.js';
import { applyChild } from './trace.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

function childOptions(options: ApplyOptions, key: ApplyOptions['key']): ApplyOptions {
  return { training: options.training, key, context: options.context };
}

/**
 * Applies `layers` in order; the output of one is the input of the next.
 *
 * - Params and state: lists with one entry per layer (paths `0.weight`, `1.running_mean`);
 *   layers without params or state hold `{}`.
 * - The init key is split into one key per layer; so is the apply key when given.
 * - The state returned holds every layer's new state (e.g. batch-norm running statistics).
 * - Intermediate outputs are freed; the output and the new state are kept. Outputs must be
 *   tensors or plain arrays/objects of tensors (what `nx.scope` can see).
 * @throws LayerError (at apply) when the params or state are not lists of the right length.
 * @example
 * ```ts
 * const mlp = Layer.sequential([
 *   Layer.linear({ inFeatures: 784, outFeatures: 128 }), Layer.relu(),
 *   Layer.linear({ inFeatures: 128, outFeatures: 10 }),
 * ]);
 * ```
 */
export function sequential<In = Tensor, Out = Tensor>(layers: ReadonlyArray<Layer<any, any>>): Layer<In, Out> {
  const fn = 'Layer.sequential';
  const n = layers.length;
  const list = [...layers];
  list.forEach((l, i) => {
    if (l === null || typeof l !== 'object' || typeof l.init !== 'function' || typeof l.apply !== 'function') {
      throw new LayerError(`${fn}: element ${i} is not a layer (an object with init and apply)`);
    }
  });
  return {
    kind: 'sequential',
    init(o) {
      nx.checkOptions(`${fn}: init`, o, INIT_KEYS);
      const { key, dtype = 'float32' } = o;
      const keys = nx.random.split(key, n);
      const params: Tree[] = [];
      const state: Tree[] = [];
      list.forEach((l, i) => {
        const v = l.init({ key: keys[i]!, dtype });
        params.push(v.params);
        state.push(v.state);
      });
      return { params, state, dtype };
    },
    apply(vars, x, options = {}) {
      nx.checkOptions(`${fn}: apply`, options, APPLY_KEYS);
      const { params, state } = vars;
      if (!Array.isArray(params) || params.length !== n) throw new LayerError(`${fn}: expected params to be a list of ${n} entries, got ${Array.isArray(params) ? `a list of ${params.length}` : 'something else'}`);
      if (!Array.isArray(state) || state.length !== n) throw new LayerError(`${fn}: expected state to be a list of ${n} entries, got ${Array.isArray(state) ? `a list of ${state.length}` : 'something else'}`);
      const keys = options.key !== undefined ? nx.random.split(options.key, n) : undefined;
      // in a scope: the intermediate outputs are freed, the output and the new state kept
      return nx.scope(() => {
        const newState: Tree[] = new Array<Tree>(n);
        let h: unknown = x;
        for (let i = 0; i < n; i++) {
          const child: Vars = { params: params[i]!, state: state[i]!, dtype: vars.dtype };
          const out = applyChild(i, list[i]!, child, h, childOptions(options, keys?.[i]));
          h = out.y;
          newState[i] = out.state;
        }
        return { y: h as Out, state: newState as Tree };
      });
    },
  };
}

/**
 * Applies `left`, then `right` to its output (Kaun's `compose`).
 * Params and state: dicts `{left, right}` (paths `left.weight`, `right.weight`).
 * The init and apply keys are split between the two.
 * @example `Layer.compose(Layer.embedding({ numEmbeddings: 100, embeddingDim: 16 }), Layer.layerNorm({ dim: 16 }))`
 */
export function compose<A, B, C>(left: Layer<A, B>, right: Layer<B, C>): Layer<A, C> {
  return { ...named<A, C>({ left, right }, (call, x) => call('right', call('left', x))), kind: 'compose' };
}

/** The function {@link named} hands its forward function: applies a child by name, threading its state. */
export type CallChild = <I = any, O = any>(name: string, x: I) => O;

/**
 * A layer made of named children, stored as dicts: params `{encoder: ..., head: ...}` (paths
 * `encoder.0.weight`), state likewise. `forward(call, x, options)` says how the children are
 * wired: `call(name, input)` applies one child with its own variables, threads its new state,
 * and gives it a key of its own (derived from the apply key with the child's index) when a key
 * was given. Without `forward`, the children run one after the other in key order.
 * A child may be called several times; its state is threaded through the calls. `forward` runs
 * in an `nx.scope`: intermediates are freed, the output (tensors, or plain arrays/objects of
 * tensors) and the new state are kept.
 * @throws LayerError for a name that contains `.` or is empty, for a call to an unknown child,
 * or (at apply) when the params or state lack a child.
 * @example
 * ```ts
 * const model = Layer.named({ encoder, head }, (call, x) => call('head', call('encoder', x)));
 * ```
 */
export function named<In = Tensor, Out = Tensor>(
  children: Record<string, Layer<any, any>>,
  forward?: (call: CallChild, x: In, options: ApplyOptions) => Out,
): Layer<In, Out> {
  const fn = 'Layer.named';
  const names = Object.keys(children);
  for (const k of names) {
    if (k === '' || k.includes('.')) throw new LayerError(`${fn}: child name ${JSON.stringify(k)} is invalid; names must be non-empty and may not contain '.'`);
    const l = children[k]!;
    if (l === null || typeof l !== 'object' || typeof l.init !== 'function' || typeof l.apply !== 'function') throw new LayerError(`${fn}: child '${k}' is not a layer (an object with init and apply)`);
  }
  const index = new Map(names.map((k, i) => [k, i]));
  const fwd = forward ?? ((call: CallChild, x: In) => names.reduce<unknown>((h, k) => call(k, h), x) as Out);
  return {
    kind: 'named',
    init(o) {
      nx.checkOptions(`${fn}: init`, o, INIT_KEYS);
      const { key, dtype = 'float32' } = o;
      const keys = nx.random.split(key, names.length);
      const params: Record<string, Tree> = {};
      const state: Record<string, Tree> = {};
      names.forEach((k, i) => {
        const v = children[k]!.init({ key: keys[i]!, dtype });
        params[k] = v.params;
        state[k] = v.state;
      });
      return { params, state, dtype };
    },
    apply(vars, x, options = {}) {
      nx.checkOptions(`${fn}: apply`, options, APPLY_KEYS);
      const { params, state } = vars;
      if (!isDict(params) || !isDict(state)) throw new LayerError(`${fn}: expected params and state to be dicts keyed by the children's names (${names.join(', ')})`);
      const newState: Record<string, Tree> = { ...state };
      const calls = new Map<string, number>();
      const call: CallChild = (name, input) => {
        const i = index.get(name);
        if (i === undefined) throw new LayerError(`${fn}: no child named '${name}' (children: ${names.join(', ')})`);
        if (!(name in params) || !(name in newState)) throw new LayerError(`${fn}: the variables have no entry for child '${name}'`);
        const count = calls.get(name) ?? 0;
        calls.set(name, count + 1);
        let key = options.key;
        if (key !== undefined) {
          key = nx.random.foldIn(key, i);
          if (count > 0) key = nx.random.foldIn(key, count);
        }
        const out = applyChild(name, children[name]!, { params: params[name]!, state: newState[name]!, dtype: vars.dtype }, input, childOptions(options, key));
        newState[name] = out.state;
        return out.y;
      };
      // in a scope: intermediates are freed, the output and the new state kept
      return nx.scope(() => ({ y: fwd(call, x, options), state: newState as Tree }));
    },
  };
}
