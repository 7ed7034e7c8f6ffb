/**
 * BERT's encoder: `num_hidden_layers` transformer layers (attention, intermediate, output).
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { Layer, LayerError, type Ptree } from '@raven/kaun';
import { block } from '../common/block.js';
import type { BertConfig } from './config.js';
import { type AttentionInput, type ResidualInput, attention, bertLinear, residualOutput } from './attention.js';
import { activation } from '../common/ops.js';

/**
 * One transformer layer: `attention`, then `intermediate` (dense `[intermediate, H]` and
 * `hidden_act`), then `output` (dense `[H, intermediate]`, dropout, residual LayerNorm). @internal
 */
export function bertLayer(config: BertConfig): Layer.Layer<AttentionInput> {
  const act = activation(config.hidden_act);
  const intermediate = block('Bert.intermediate', { dense: bertLinear(config, config.hidden_size, config.intermediate_size) }, (call, x: Tensor) =>
    nx.scope(() => act(call<Tensor, Tensor>('dense', x))),
  );
  return block<AttentionInput>(
    'Bert.layer',
    { attention: attention(config), intermediate, output: residualOutput(config, config.intermediate_size) },
    (call, x) =>
      nx.scope(() => {
        const a = call<AttentionInput, Tensor>('attention', x);
        return call<ResidualInput, Tensor>('output', { hidden: call<Tensor, Tensor>('intermediate', a), input: a });
      }),
  );
}

/**
 * The encoder: params `{layer: [layer 0, layer 1, ...]}` (paths `layer.0.attention.self.query.weight`).
 * Input hidden states and mask, output `[B, L, H]`. @internal
 */
export function encoder(config: BertConfig): Layer.Layer<AttentionInput> {
  const n = config.num_hidden_layers;
  const layer = bertLayer(config);
  return {
    kind: 'Bert.encoder',
    init({ key, dtype = 'float32' }) {
      const keys = nx.random.split(key, n);
      const params = keys.map((k) => layer.init({ key: k, dtype }).params);
      return { params: { layer: params }, state: {}, dtype };
    },
    apply(vars, { hidden, mask }, options = {}) {
      const layers = (vars.params as { layer?: Ptree.Tree }).layer;
      if (!Array.isArray(layers) || layers.length !== n) {
        throw new LayerError(`Bert.encoder: expected params.layer to be a list of ${n} layers, got ${Array.isArray(layers) ? layers.length : 'none'}`);
      }
      const y = nx.scope(() => {
        let h = hidden;
        layers.forEach((p, i) => {
          const key = options.key === undefined ? undefined : nx.random.foldIn(options.key, i);
          h = Layer.applyChild(`layer.${i}`, layer, { params: p, state: {}, dtype: vars.dtype }, { hidden: h, mask }, { ...options, key }).y;
        });
        return h;
      });
      return { y, state: vars.state };
    },
  };
}
