/**
 * Layers initialised as transformers' `_init_weights` does: Linear weights `N(0, std^2)` with
 * zero biases, embeddings `N(0, std^2)` with the padding row zero.
 * @module
 */
import * as nx from '@raven/nx';
import { Init, Layer } from '@raven/kaun';

/**
 * A Linear `[out, in]` initialised as transformers does: weight `N(0, std^2)`, bias zero.
 * @param bias - whether it has a bias. Default true.
 * @internal
 */
export function hfLinear(std: number, inFeatures: number, outFeatures: number, bias = true): Layer.Layer {
  return Layer.linear({ inFeatures, outFeatures, bias, weightInit: Init.normal({ std }), biasInit: Init.zeros });
}

/** transformers' `_init_weights` for an embedding: `N(0, std^2)`, the padding row zero. @internal */
export function embeddingInit(std: number, paddingIdx?: number | null): Init.Initializer {
  const normal = Init.normal({ std });
  return (key, shape, dtype) => {
    const w = normal(key, shape, dtype);
    if (paddingIdx === undefined || paddingIdx === null) return w;
    const out = nx.scope(() => {
      const rows = nx.reshape(nx.notEqual(nx.arange(0, shape[0]!, 1, 'int32'), paddingIdx), [shape[0]!, 1]);
      return nx.where(rows, w, 0);
    });
    w.dispose();
    return out;
  };
}
