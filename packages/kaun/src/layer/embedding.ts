/**
 * Embedding lookup.
 * @module
 */
import * as nx from '@raven/nx';
import { LayerError } from '../errors.js';
import { type Initializer, normal } from '../init/index.js';
import { checkPositiveInt, param } from './_util.js';
import type { Layer } from './layer.js';

/** Options of {@link embedding}. */
export interface EmbeddingOptions {
  /** Number of rows (vocabulary size). */
  numEmbeddings: number;
  /** Size of each vector. */
  embeddingDim: number;
  /** Initializer of `weight`; default `N(0, 1)`, as PyTorch. */
  weightInit?: Initializer;
}

const EMBEDDING_KEYS: nx.OptionKeys<EmbeddingOptions> = { numEmbeddings: true, embeddingDim: true, weightInit: true };

/**
 * A lookup table, as `torch.nn.Embedding`: row `i` of `weight` for each index `i`.
 *
 * - Input: int32 indices of any shape `[...]`, each in `[0, numEmbeddings)`; output `[..., embeddingDim]`.
 * - Params: `weight` `[numEmbeddings, embeddingDim]`.
 * @throws LayerError for invalid sizes or (at apply) non-int32 indices; nx's IndexError for an index out of range.
 * @example `Layer.embedding({ numEmbeddings: 30522, embeddingDim: 128 })`
 */
export function embedding(options: EmbeddingOptions): Layer {
  nx.checkOptions('Layer.embedding', options, EMBEDDING_KEYS);
  const fn = 'Layer.embedding';
  const { numEmbeddings, embeddingDim } = options;
  checkPositiveInt(fn, 'numEmbeddings', numEmbeddings);
  checkPositiveInt(fn, 'embeddingDim', embeddingDim);
  const init = options.weightInit ?? normal({ std: 1 });
  return {
    kind: 'embedding',
    init({ key, dtype = 'float32' }) {
      return { params: { weight: init(key, [numEmbeddings, embeddingDim], dtype) }, state: {}, dtype };
    },
    apply(vars, x) {
      const w = param(fn, vars.params, 'weight');
      if (x.dtype !== 'int32') throw new LayerError(`${fn}: expected int32 indices, got dtype ${x.dtype}; cast with nx.cast(x, 'int32')`);
      return { y: nx.gather(w, x, { axis: 0 }), state: vars.state };
    },
  };
}
