/**
 * `block`: a stateless layer made of named children, the way transformers' modules nest. Like
 * kaun's `Layer.named`, but these models have no state, so their variables carry `state: {}` at
 * the top only (as loaded checkpoints do) rather than an empty dict per child. Internal.
 * @module
 */
import * as nx from '@raven/nx';
import { Layer, LayerError, type Ptree } from '@raven/kaun';

/** Applies a child by name to an input. @internal */
export type Call = <I = nx.Tensor, O = nx.Tensor>(name: string, x: I) => O;

/**
 * A layer with params `{child: childParams, ...}` (so paths read `child.weight`) and no state.
 * `forward(call, x, options, params)` wires the children (and may read the params, e.g. a head
 * tied to the embeddings); each call gets a key of its own (the apply key folded with the
 * child's index). @internal
 */
export function block<In, Out = nx.Tensor>(
  where: string,
  children: Record<string, Layer.Layer<any, any>>, // eslint-disable-line @typescript-eslint/no-explicit-any
  forward: (call: Call, x: In, options: Layer.ApplyOptions, params: Record<string, Ptree.Tree>) => Out,
): Layer.Layer<In, Out> {
  const names = Object.keys(children);
  return {
    kind: where,
    init({ key, dtype = 'float32' }) {
      const keys = nx.random.split(key, names.length);
      const params: Record<string, Ptree.Tree> = {};
      names.forEach((k, i) => {
        params[k] = children[k]!.init({ key: keys[i]!, dtype }).params;
      });
      return { params, state: {}, dtype };
    },
    apply(vars, x, options = {}) {
      const params = vars.params as Record<string, Ptree.Tree>;
      const call: Call = (name, input) => {
        const i = names.indexOf(name);
        const p = params?.[name];
        if (i < 0 || p === undefined) {
          throw new LayerError(`${where}: the params have no '${name}' (expected ${names.join(', ')}); pass variables from init or fromPretrained`);
        }
        const key = options.key === undefined ? undefined : nx.random.foldIn(options.key, i);
        return Layer.applyChild(name, children[name]!, { params: p, state: {}, dtype: vars.dtype }, input, { training: options.training, key, context: options.context }).y;
      };
      return { y: forward(call, x, options, params), state: vars.state };
    },
  };
}

/**
 * A list of layers applied in order, with params `[p0, p1, ...]` (paths `0.weight`, `1.weight`,
 * as transformers' `ModuleList`) and no state. Layer `i` gets the apply key folded with `i`.
 * @internal
 */
export function stack<T>(where: string, layers: ReadonlyArray<Layer.Layer<T, T>>): Layer.Layer<T, T> {
  return {
    init({ key, dtype = 'float32' }) {
      const keys = nx.random.split(key, Math.max(layers.length, 1));
      return { params: layers.map((l, i) => l.init({ key: keys[i]!, dtype }).params), state: {}, dtype };
    },
    apply(vars, x, options = {}) {
      const params = vars.params as Ptree.Tree[];
      if (!Array.isArray(params) || params.length !== layers.length) {
        throw new LayerError(`${where}: expected a list of ${layers.length} layers' params, got ${Array.isArray(params) ? params.length : typeof params}; pass variables from init or fromPretrained`);
      }
      let y = x;
      layers.forEach((l, i) => {
        const key = options.key === undefined ? undefined : nx.random.foldIn(options.key, i);
        y = Layer.applyChild(i, l, { params: params[i]!, state: {}, dtype: vars.dtype }, y, { training: options.training, key, context: options.context }).y;
      });
      return { y, state: vars.state };
    },
  };
}
