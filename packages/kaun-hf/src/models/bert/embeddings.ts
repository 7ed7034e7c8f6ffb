/**
 * BERT's embeddings: word + position + token type, then LayerNorm and dropout.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { Layer } from '@raven/kaun';
import { block } from '../common/block.js';
import { embeddingInit } from '../common/init.js';
import type { BertConfig } from './config.js';
import { dropout, siteKey } from '../common/ops.js';

/** The inputs of the embeddings: ids and token types, `int32 [B, L]`. */
export interface EmbeddingsInput {
  /** Token ids, `int32 [B, L]`. */
  inputIds: Tensor;
  /** Segment ids, `int32 [B, L]`. */
  tokenTypeIds: Tensor;
}

/**
 * The embeddings block. Params (HF names): `word_embeddings.weight [vocab, H]`,
 * `position_embeddings.weight [maxPositions, H]`, `token_type_embeddings.weight [types, H]`,
 * `LayerNorm.weight`/`.bias [H]`. Output `[B, L, H]`. @internal
 */
export function embeddings(config: BertConfig): Layer.Layer<EmbeddingsInput> {
  const h = config.hidden_size;
  const std = config.initializer_range;
  return block<EmbeddingsInput>(
    'Bert.embeddings',
    {
      word_embeddings: Layer.embedding({ numEmbeddings: config.vocab_size, embeddingDim: h, weightInit: embeddingInit(std, config.pad_token_id) }),
      position_embeddings: Layer.embedding({ numEmbeddings: config.max_position_embeddings, embeddingDim: h, weightInit: embeddingInit(std) }),
      token_type_embeddings: Layer.embedding({ numEmbeddings: config.type_vocab_size, embeddingDim: h, weightInit: embeddingInit(std) }),
      LayerNorm: Layer.layerNorm({ dim: h, eps: config.layer_norm_eps }),
    },
    (call, { inputIds, tokenTypeIds }, options) =>
      nx.scope(() => {
        const positions = nx.arange(0, inputIds.shape[1]!, 1, 'int32');
        // the order of transformers' sum: words + token types, then + positions
        const sum = nx.add(nx.add(call<Tensor, Tensor>('word_embeddings', inputIds), call<Tensor, Tensor>('token_type_embeddings', tokenTypeIds)), call<Tensor, Tensor>('position_embeddings', positions));
        const normed = call<Tensor, Tensor>('LayerNorm', sum);
        return dropout(normed, config.hidden_dropout_prob, options.training, siteKey(options.key, 0), 'Bert.embeddings');
      }),
  );
}
