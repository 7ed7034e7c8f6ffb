/**
 * `CausalLM.fromPretrained`: the causal LM a `config.json` describes (transformers'
 * `AutoModelForCausalLM`), from a Hub id, an `hf://` address or a folder.
 * @module
 */
import * as nx from '@raven/nx';
import type { Layer } from '@raven/kaun';
import { ModelLoadError } from '../../errors.js';
import { type HubOptions, loadWeights } from '../../hub/index.js';
import { openPretrained } from '../../pretrained/load.js';
import type { LoadReport, Logger } from '../../pretrained/report.js';
import { HUB_OPTION_KEYS, optionalFile } from '../../pretrained/source.js';
import { loadTokenizer } from '../../pretrained/tokenizer.js';
import { varsFromWeights } from '../../pretrained/weights.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { gemmaFamily } from '../gemma/family.js';
import { gpt2Family } from '../gpt2/family.js';
import { llamaFamily } from '../llama/family.js';
import type { CausalLMFamily } from './family.js';
import { generationDefaults } from './generation-config.js';
import type { CausalLM } from './types.js';

const FAMILIES: readonly CausalLMFamily[] = [gpt2Family, llamaFamily, gemmaFamily];

/** The `model_type`s {@link fromPretrained} loads. */
export const MODEL_TYPES: readonly string[] = FAMILIES.flatMap((f) => f.modelTypes);

/** Options of {@link fromPretrained}: the Hub options (revision, token, cacheDir, offline, endpoint, ...) and these. */
export interface FromPretrainedOptions extends HubOptions {
  /** Config fields to replace (e.g. `{resid_pdrop: 0}`, `{attention_dropout: 0.1}`). Default: none. */
  config?: Record<string, unknown>;
  /** Start weights whose checkpoint shape differs fresh instead of failing. Default false. */
  ignoreMismatchedSizes?: boolean;
  /** Key for weights initialised fresh (an untied head the checkpoint lacks). Default `nx.random.key(0)`. */
  key?: nx.random.Key;
  /** Receives the load warnings (fresh or unused weights); `false` silences them. Default `console`. */
  logger?: Logger | false;
  /** Load the tokenizer when the source has one. Default true. */
  tokenizer?: boolean;
}

const KEYS: nx.OptionKeys<FromPretrainedOptions> = {
  ...HUB_OPTION_KEYS, config: true, ignoreMismatchedSizes: true, key: true, logger: true, tokenizer: true,
};

/** What {@link fromPretrained} returns. */
export interface Pretrained {
  /** The model, a kaun layer (with `config`, `modelType`, `generation` and what `savePretrained` needs). */
  model: CausalLM;
  /** Its variables (params with the Hugging Face key names, float32; no state). */
  vars: Layer.Vars;
  /** The tokenizer, when the source has one (and `tokenizer` was not false). */
  tokenizer?: Tokenizer;
  /** Keys initialised fresh, unused or mismatched. */
  report: LoadReport;
}

/**
 * The tokenizer of a source; a source that has tokenizer files but none this package reads is an
 * error that names them (a source without any tokenizer file has no tokenizer).
 * @internal
 */
async function tokenizerOf(where: string, modelId: string, hub: HubOptions): Promise<Tokenizer | undefined> {
  const tokenizer = await loadTokenizer(modelId, hub);
  if (tokenizer !== undefined) return tokenizer;
  const what = 'pass tokenizer: false to load the model without it, and load a tokenizer.json made for it yourself (Tokenizer.fromFile)';
  if ((await optionalFile(modelId, 'tokenizer.model', hub)) !== undefined) {
    throw new ModelLoadError(`${where}: ${modelId} has only tokenizer.model (SentencePiece), no tokenizer.json, which is the format this package reads; ${what}`);
  }
  if ((await optionalFile(modelId, 'tokenizer_config.json', hub)) !== undefined) {
    throw new ModelLoadError(`${where}: ${modelId} has tokenizer_config.json but no tokenizer.json (nor vocab.txt); the tokenizer cannot be built; ${what}`);
  }
  return undefined;
}

/** The family of a `model_type`. @throws ModelLoadError listing the supported ones. @internal */
export function familyOf(modelType: unknown, where: string, file: string): CausalLMFamily {
  const f = FAMILIES.find((fam) => typeof modelType === 'string' && fam.modelTypes.includes(modelType));
  if (f === undefined) {
    throw new ModelLoadError(
      `${where}: ${file} has model_type ${JSON.stringify(modelType)}, which is not a supported causal language model; ` +
        `supported model_types: ${MODEL_TYPES.join(', ')}`,
    );
  }
  return f;
}

/**
 * Loads a causal language model, picking its class from `config.json`'s `model_type` (as
 * transformers' `AutoModelForCausalLM`): GPT-2 (`gpt2`), the Llama family (`llama`, `mistral`
 * without sliding window, `qwen2`) and Gemma (`gemma`).
 *
 * `source` is a Hub model id (downloaded through the cache with the Hub options), `hf://org/name`,
 * or a local folder in Hugging Face layout. Weights may be sharded (`model.safetensors.index.json`)
 * and stored in F32, F16 or BF16 (cast to float32); keys the model does not use are ignored and
 * reported, missing keys are an error that lists them (an untied head the checkpoint lacks starts
 * fresh, with a warning). `generation_config.json` supplies the generation defaults (EOS ids,
 * sampling settings); the tokenizer (`tokenizer.json`, `tokenizer_config.json`,
 * `chat_template.jinja`) is loaded when present.
 * @param source - Hub id, `hf://org/name`, or folder.
 * @param options - see {@link FromPretrainedOptions}.
 * @returns `{model, vars, tokenizer?, report}`.
 * @throws ModelLoadError for an unsupported `model_type` (the message lists the supported ones),
 *   a bad config (naming the key), missing weights (listed) or a shape that does not fit;
 *   `EntryNotFoundError` when the source has no `config.json` or no weights; the Hub client's
 *   other errors (`RepositoryNotFoundError`, `OfflineError`, ...) pass through; OptionError for an
 *   unknown option.
 * @example
 * ```ts
 * const { model, vars, tokenizer } = await CausalLM.fromPretrained('openai-community/gpt2');
 * const { texts } = await CausalLM.generate(model, vars, tokenizer!, ['The whale'], { maxNewTokens: 20 });
 * ```
 */
export async function fromPretrained(source: string, options: FromPretrainedOptions = {}): Promise<Pretrained> {
  const where = 'CausalLM.fromPretrained';
  nx.checkOptions(where, options, KEYS);
  const { modelId, hub, config: json, generationConfig } = await openPretrained(where, source, options, { generationConfig: true });
  const family = familyOf(json['model_type'], where, `config.json of ${modelId}`);
  const config = family.parseConfig(json, options.config ?? {});
  const { vocabSize, ids } = family.tokens(config);
  let generation;
  try {
    generation = generationDefaults(ids, vocabSize, generationConfig);
  } catch (e) {
    throw new ModelLoadError(`${where}: ${modelId}: ${(e as Error).message}`, { cause: e });
  }
  const tokenizer = options.tokenizer === false ? undefined : await tokenizerOf(where, modelId, hub);
  const entries = await loadWeights(modelId, hub);
  const plan = family.weights(config);
  const { vars, report } = varsFromWeights(entries, { where, family: family.name, architecture: family.architecture, ...plan }, {
    source: modelId, ignoreMismatchedSizes: options.ignoreMismatchedSizes, key: options.key, logger: options.logger,
  });
  const out: Pretrained = { model: family.build(config, generation), vars, report };
  if (tokenizer !== undefined) out.tokenizer = tokenizer;
  return out;
}
