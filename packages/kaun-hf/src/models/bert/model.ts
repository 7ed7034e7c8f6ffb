/**
 * BertModel: embeddings, encoder and pooler, as a kaun layer whose parameter paths are the
 * Hugging Face key names (`embeddings.word_embeddings.weight`, `encoder.layer.0.attention.self.query.weight`,
 * `pooler.dense.weight`, ...).
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { Layer, LayerError } from '@raven/kaun';
import { block } from '../common/block.js';
import { type AttentionInput, bertLinear } from './attention.js';
import { type EmbeddingsInput, embeddings } from './embeddings.js';
import { encoder } from './encoder.js';
import type { HfDescriptor, PretrainedModel } from '../../pretrained/model.js';
import { type BertConfig, configToJson } from './config.js';
import { type Architecture, paramSpecs } from './keys.js';

/** The inputs of a BERT model: `int32 [B, L]` tensors, as `Tokenizer.encodeBatch` returns them. */
export interface BertInputs {
  /** Token ids, `int32 [B, L]`, `L <= max_position_embeddings`. */
  inputIds: Tensor;
  /** 1 for real tokens, 0 for padding, `int32 [B, L]`. Default: all ones. */
  attentionMask?: Tensor;
  /** Segment ids, `int32 [B, L]`. Default: all zeros. */
  tokenTypeIds?: Tensor;
}

/** The outputs of BertModel. */
export interface BertModelOutput {
  /** The last layer's hidden states, `[B, L, H]`. */
  lastHiddenState: Tensor;
  /** `tanh(dense(first token))`, `[B, H]`; absent when the model has no pooler. */
  poolerOutput?: Tensor;
}

/** A BERT layer that knows its configuration and architecture (so it can be saved). */
export interface BertLayer<In, Out> extends Layer.Layer<In, Out>, PretrainedModel {
  /** The configuration the layer was built from. */
  readonly config: BertConfig;
  /** The transformers class this layer mirrors (written to `config.json` on save). */
  readonly architecture: Architecture;
  /** Whether the base model has its pooler. */
  readonly addPoolingLayer: boolean;
}

/** Options of {@link bertModel}. */
export interface BertModelOptions {
  /** Build the pooler (`pooler.dense`). Default true. */
  addPoolingLayer?: boolean;
}

const BERT_MODEL_KEYS: nx.OptionKeys<BertModelOptions> = { addPoolingLayer: true };

/** What the shared `savePretrained` needs to write a BERT model. @internal */
export function bertDescriptor(config: BertConfig, architecture: Architecture, addPoolingLayer: boolean): HfDescriptor {
  return { architecture, paramSpecs: () => paramSpecs(config, architecture, addPoolingLayer), configJson: () => configToJson(config, architecture) };
}

/** Checks the inputs and fills in the default mask and token types. @internal */
export function checkInputs(fn: string, config: BertConfig, x: BertInputs): { inputIds: Tensor; attentionMask: Tensor | undefined; tokenTypeIds: Tensor | undefined } {
  if (x === null || typeof x !== 'object' || !nx.isTensor(x.inputIds)) {
    throw new LayerError(`${fn}: expected inputs {inputIds, attentionMask?, tokenTypeIds?} with int32 [B, L] tensors (e.g. from Tokenizer.encodeBatch)`);
  }
  const { inputIds, attentionMask, tokenTypeIds } = x;
  const shape = `[${inputIds.shape.join(', ')}]`;
  if (inputIds.rank !== 2 || inputIds.dtype !== 'int32') throw new LayerError(`${fn}: inputIds must be int32 [B, L], got ${inputIds.dtype} ${shape}`);
  const l = inputIds.shape[1]!;
  if (l > config.max_position_embeddings) {
    throw new LayerError(`${fn}: sequence length ${l} exceeds max_position_embeddings ${config.max_position_embeddings}; truncate the inputs (Tokenizer maxLength)`);
  }
  for (const [name, t] of [['attentionMask', attentionMask], ['tokenTypeIds', tokenTypeIds]] as const) {
    if (t === undefined) continue;
    if (!nx.isTensor(t) || t.rank !== 2 || t.shape[0] !== inputIds.shape[0] || t.shape[1] !== l) {
      throw new LayerError(`${fn}: ${name} must have inputIds' shape ${shape}, got ${nx.isTensor(t) ? `[${t.shape.join(', ')}]` : typeof t}`);
    }
  }
  return { inputIds, attentionMask, tokenTypeIds };
}

/** The pooler: `tanh(dense(h[:, 0]))`, params `dense` `[H, H]`. @internal */
function pooler(config: BertConfig): Layer.Layer {
  return block('Bert.pooler', { dense: bertLinear(config, config.hidden_size, config.hidden_size) }, (call, h: Tensor) =>
    nx.scope(() => nx.tanh(call<Tensor, Tensor>('dense', nx.slice(h, [null, 0])))),
  );
}

/**
 * BertModel (transformers' `BertModel`): token, position and token-type embeddings with
 * LayerNorm and dropout; `num_hidden_layers` layers of self-attention (padded keys masked out of
 * the softmax) and feed-forward, each with dropout and a
 * residual LayerNorm; the pooler `tanh(dense(first token))`.
 *
 * - Input {@link BertInputs}; output {@link BertModelOutput}.
 * - Params: the Hugging Face keys without prefix: `embeddings.word_embeddings.weight [vocab, H]`,
 *   `embeddings.position_embeddings.weight`, `embeddings.token_type_embeddings.weight`,
 *   `embeddings.LayerNorm.{weight,bias}`, `encoder.layer.{i}.attention.self.{query,key,value}.{weight,bias}`,
 *   `encoder.layer.{i}.attention.output.{dense,LayerNorm}.*`, `encoder.layer.{i}.intermediate.dense.*`,
 *   `encoder.layer.{i}.output.{dense,LayerNorm}.*`, `pooler.dense.{weight,bias}`; Linear weights `[out, in]`.
 * - `init` draws weights as transformers does: `N(0, initializer_range^2)`, biases 0, LayerNorm 1/0,
 *   the padding row of the word embeddings 0. Dropout is active with `{training: true, key}`.
 * @param config - a configuration from {@link parseConfig}.
 * @throws LayerError (at apply) for inputs that are not int32 `[B, L]` or longer than `max_position_embeddings`.
 * @example
 * ```ts
 * const model = Bert.bertModel(Bert.parseConfig({ hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 64 }));
 * const vars = model.init({ key: nx.random.key(0) });
 * const { y } = model.apply(vars, { inputIds, attentionMask });
 * y.lastHiddenState.shape; // [B, L, 32]
 * ```
 */
export function bertModel(config: BertConfig, options: BertModelOptions = {}): BertLayer<BertInputs, BertModelOutput> {
  nx.checkOptions('Bert.bertModel', options, BERT_MODEL_KEYS);
  const addPoolingLayer = options.addPoolingLayer ?? true;
  const children: Record<string, Layer.Layer<any, any>> = { embeddings: embeddings(config), encoder: encoder(config) }; // eslint-disable-line @typescript-eslint/no-explicit-any
  if (addPoolingLayer) children['pooler'] = pooler(config);
  const layer = block<BertInputs, BertModelOutput>('Bert.bertModel', children, (call, x) => {
    const { inputIds, attentionMask, tokenTypeIds } = checkInputs('Bert.bertModel', config, x);
    return nx.scope(() => {
      const types = tokenTypeIds ?? nx.zerosLike(inputIds);
      const mask = attentionMask === undefined ? undefined : nx.reshape(attentionMask, [inputIds.shape[0]!, 1, 1, inputIds.shape[1]!]);
      const emb = call<EmbeddingsInput, Tensor>('embeddings', { inputIds, tokenTypeIds: types });
      const lastHiddenState = call<AttentionInput, Tensor>('encoder', { hidden: emb, mask });
      const out: BertModelOutput = { lastHiddenState };
      if (addPoolingLayer) out.poolerOutput = call<Tensor, Tensor>('pooler', lastHiddenState);
      return out;
    });
  });
  return { ...layer, config, architecture: 'BertModel', addPoolingLayer, hf: bertDescriptor(config, 'BertModel', addPoolingLayer) };
}
