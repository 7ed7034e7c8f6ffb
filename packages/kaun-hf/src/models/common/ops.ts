/**
 * Small tensor functions the Hugging Face model families share: the activation of a
 * `hidden_act` name (transformers' `ACT2FN`), dropout, per-site dropout keys.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { Layer } from '@raven/kaun';

/** An activation name `hidden_act` may hold (transformers' `ACT2FN` names we implement). */
export type HiddenAct = 'gelu' | 'gelu_python' | 'gelu_new' | 'gelu_pytorch_tanh' | 'gelu_fast' | 'quick_gelu' | 'relu' | 'silu' | 'swish' | 'tanh';

/** The activations a configuration may name. */
export const HIDDEN_ACTS: readonly HiddenAct[] = ['gelu', 'gelu_python', 'gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'quick_gelu', 'relu', 'silu', 'swish', 'tanh'];

/** The function of a `hidden_act` name, as transformers' `ACT2FN`. @internal */
export function activation(name: HiddenAct): (x: Tensor) => Tensor {
  switch (name) {
    case 'gelu':
    case 'gelu_python':
      return Layer.Activation.gelu;
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast':
      return Layer.Activation.geluTanh;
    case 'quick_gelu':
      return (x) => nx.scope(() => nx.mul(x, nx.sigmoid(nx.mul(x, 1.702))));
    case 'relu':
      return Layer.Activation.relu;
    case 'silu':
    case 'swish':
      return Layer.Activation.silu;
    case 'tanh':
      return Layer.Activation.tanh;
  }
}

/** Dropout (kaun's inverted dropout) when training with `rate > 0`, else the identity. @internal */
export function dropout(x: Tensor, rate: number, training: boolean | undefined, key: nx.random.Key | undefined, where: string): Tensor {
  if (!training || rate === 0) return x;
  return Layer.applyDropout(x, rate, key, where);
}

/** The key of the `site`-th dropout of a layer, or undefined without a key. @internal */
export function siteKey(key: nx.random.Key | undefined, site: number): nx.random.Key | undefined {
  return key === undefined ? undefined : nx.random.foldIn(key, 1_000_003 + site);
}
