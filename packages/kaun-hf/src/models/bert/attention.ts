/**
 * BERT's attention block: multi-head self-attention (`attention.self`: query, key, value) and
 * its output (`attention.output`: dense, dropout, residual LayerNorm).
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { Layer } from '@raven/kaun';
import { block } from '../common/block.js';
import { hfLinear } from '../common/init.js';
import type { BertConfig } from './config.js';
import { dropout, siteKey } from '../common/ops.js';

/** What the attention layers take: hidden states `[B, L, H]` and the padding mask `[B, 1, 1, L]`. */
export interface AttentionInput {
  /** Hidden states `[B, L, H]`. */
  hidden: Tensor;
  /** Padding mask `[B, 1, 1, L]` (1 attend, 0 padding); none attends everywhere. */
  mask?: Tensor;
}

/** A Linear initialised as transformers does: weight `N(0, initializer_range^2)` `[out, in]`, bias zero. @internal */
export function bertLinear(config: BertConfig, inFeatures: number, outFeatures: number): Layer.Layer {
  return hfLinear(config.initializer_range, inFeatures, outFeatures);
}

/** `[B, L, H] -> [B, heads, L, H / heads]`. */
function splitHeads(x: Tensor, heads: number): Tensor {
  const [b, l, h] = x.shape as [number, number, number];
  return nx.transpose(nx.reshape(x, [b, l, heads, h / heads]), [0, 2, 1, 3]);
}

/**
 * Self-attention `softmax(q k^T / sqrt(d) + mask) v` over `num_attention_heads` heads
 * (kaun's `scaledDotProductAttention`: padded keys get -1e9 added to their scores, which gives
 * the same probabilities, exactly zero, as transformers' `finfo(float32).min`), with dropout on
 * the probabilities. Params: `query`, `key`, `value` (Linear `[H, H]`). @internal
 */
export function selfAttention(config: BertConfig): Layer.Layer<AttentionInput> {
  const h = config.hidden_size;
  const heads = config.num_attention_heads;
  return block<AttentionInput>(
    'Bert.selfAttention',
    { query: bertLinear(config, h, h), key: bertLinear(config, h, h), value: bertLinear(config, h, h) },
    (call, { hidden, mask }, options) =>
      nx.scope(() => {
        const [b, l] = hidden.shape as [number, number, number];
        const q = splitHeads(call<Tensor, Tensor>('query', hidden), heads);
        const k = splitHeads(call<Tensor, Tensor>('key', hidden), heads);
        const v = splitHeads(call<Tensor, Tensor>('value', hidden), heads);
        const rate = options.training ? config.attention_probs_dropout_prob : 0;
        const context = Layer.scaledDotProductAttention(q, k, v, { mask, dropout: rate, key: rate > 0 ? siteKey(options.key, 0) : undefined }); // [B, heads, L, d]
        return nx.reshape(nx.transpose(context, [0, 2, 1, 3]), [b, l, h]);
      }),
  );
}

/** What an output block takes: the sublayer's result and the residual input, both `[B, L, H]`. */
export interface ResidualInput {
  /** The sublayer output. */
  hidden: Tensor;
  /** The sublayer input, added back before LayerNorm. */
  input: Tensor;
}

/**
 * `LayerNorm(dropout(dense(hidden)) + input)`: BERT's `attention.output` (dense `[H, H]`) and
 * `output` (dense `[H, intermediate]`) blocks. @internal
 */
export function residualOutput(config: BertConfig, inFeatures: number): Layer.Layer<ResidualInput> {
  const h = config.hidden_size;
  return block<ResidualInput>(
    'Bert.output',
    { dense: bertLinear(config, inFeatures, h), LayerNorm: Layer.layerNorm({ dim: h, eps: config.layer_norm_eps }) },
    (call, { hidden, input }, options) =>
      nx.scope(() => {
        const y = dropout(call<Tensor, Tensor>('dense', hidden), config.hidden_dropout_prob, options.training, siteKey(options.key, 0), 'Bert.output');
        return call<Tensor, Tensor>('LayerNorm', nx.add(y, input));
      }),
  );
}

/** The attention block: `self` then `output`, input and output `[B, L, H]`. @internal */
export function attention(config: BertConfig): Layer.Layer<AttentionInput> {
  return block<AttentionInput>(
    'Bert.attention',
    { self: selfAttention(config), output: residualOutput(config, config.hidden_size) },
    (call, x) => nx.scope(() => call<ResidualInput, Tensor>('output', { hidden: call<AttentionInput, Tensor>('self', x), input: x.hidden })),
  );
}
