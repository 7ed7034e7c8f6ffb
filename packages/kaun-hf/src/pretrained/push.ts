/**
 * `pushToHub`: a model published on the Hub in Hugging Face layout. Any model of the package
 * (BERT, GPT-2, Llama, Gemma: a layer carrying its `hf` descriptor) is saved with
 * {@link savePretrained}; anything else comes with its own `save` function.
 * @module
 */
import type { Layer } from '@raven/kaun';
import { checkOptions, type OptionKeys } from '@raven/nx/options';

import { ModelLoadError } from '../errors.js';
import { API_KEYS, apiConfig } from '../hub/api/options.js';
import { type ModelCardData, taskOfArchitecture } from '../hub/push/model-card.js';
import { pushFolder, type PushResult, type PushUploadOptions } from '../hub/push/push-folder.js';
import { COMMIT_KEYS } from '../hub/upload/commit.js';
import type { Tokenizer } from '../tokenizer/index.js';
import type { PretrainedModel } from './model.js';
import { savePretrained, type SavePretrainedOptions } from './save.js';

/** Options of {@link pushToHub}: the model (or a `save` function), the card, and the upload's options. */
export interface PushToHubOptions extends PushUploadOptions {
  /** A model of the package (`Bert.*`, `CausalLM.fromPretrained`, `Gpt2.*`, `Llama.*`, `Gemma.*`), saved with {@link savePretrained}. */
  model?: PretrainedModel;
  /** Its variables (with `model`). */
  vars?: Layer.Vars;
  /** A tokenizer to publish beside the model. */
  tokenizer?: Tokenizer;
  /** Largest shard of the weights (see {@link SavePretrainedOptions}). Default `'5GB'`. */
  maxShardSize?: number | string;
  /** Storage dtype of the weights: `'F32'`, `'F16'` or `'BF16'`. Default `'F32'`. */
  dtype?: 'F32' | 'F16' | 'BF16';
  /** Instead of `model`/`vars`: writes anything in Hugging Face layout into the (empty, temporary) folder it is given. */
  save?: (dir: string) => unknown;
  /** Create the repository private (when it does not exist yet). Default: the Hub's default (public). */
  private?: boolean;
  /** What the model card says, when one is written: base model, task, datasets, metrics... (see {@link ModelCardData}). */
  modelCard?: ModelCardData;
  /** Title of the commit. Default `Upload model with kaun-hf`. */
  commitMessage?: string;
}

const UPLOAD_KEYS: OptionKeys<PushUploadOptions> = {
  ...(({ operations: _o, commitMessage: _m, ...rest }) => rest)(COMMIT_KEYS),
  ...API_KEYS,
  commitMessage: true,
  deletePatterns: true,
};

/** @internal */
export const PUSH_KEYS: OptionKeys<PushToHubOptions> = {
  ...UPLOAD_KEYS,
  model: true,
  vars: true,
  tokenizer: true,
  maxShardSize: true,
  dtype: true,
  save: true,
  private: true,
  modelCard: true,
};

/** How the card tells a reader to load a model of this architecture. */
function usageOf(architecture: string): ((id: string) => string) | undefined {
  if (architecture.startsWith('Bert')) {
    const extra = architecture === 'BertModel' ? ", { architecture: 'BertModel' }" : '';
    return (id) => `import { Bert } from '@raven/kaun-hf';\n\nconst { model, vars, tokenizer } = await Bert.fromPretrained('${id}'${extra});`;
  }
  if (taskOfArchitecture(architecture) === 'text-generation') {
    return (id) => `import { CausalLM } from '@raven/kaun-hf';\n\nconst { model, vars, tokenizer } = await CausalLM.fromPretrained('${id}');`;
  }
  return undefined;
}

/** {@link pushToHub} with the caller's name in messages. @internal */
export async function pushModel(where: string, repoId: string, options: PushToHubOptions): Promise<PushResult> {
  checkOptions(where, options, PUSH_KEYS);
  const { model, vars, tokenizer, maxShardSize, dtype, save, private: isPrivate, modelCard, ...upload } = options;
  const config = apiConfig(where, upload, UPLOAD_KEYS);
  let card: ModelCardData = { ...modelCard };
  let write: (dir: string) => unknown;
  if (save !== undefined) {
    if (model !== undefined || vars !== undefined) throw new ModelLoadError(`${where}: pass either a model with its vars, or a save function, not both`);
    write = save;
  } else {
    const hf = model?.hf;
    if (hf === undefined || typeof hf.configJson !== 'function' || vars === undefined) {
      throw new ModelLoadError(`${where}: options.model must be a model of this package (Bert.*, CausalLM.fromPretrained, Gpt2.*, Llama.*, Gemma.*) with its vars, or pass save: (dir) => ... instead`);
    }
    const task = taskOfArchitecture(hf.architecture);
    const modelType = hf.configJson()['model_type'];
    const usage = usageOf(hf.architecture);
    card = {
      libraryName: 'transformers',
      ...(task !== undefined ? { task } : {}),
      ...(typeof modelType === 'string' ? { tags: [modelType] } : {}),
      ...(usage !== undefined ? { usage } : {}),
      ...modelCard,
    };
    const saveOptions: SavePretrainedOptions = {
      model: model as PretrainedModel,
      vars,
      ...(tokenizer !== undefined ? { tokenizer } : {}),
      ...(maxShardSize !== undefined ? { maxShardSize } : {}),
      ...(dtype !== undefined ? { dtype } : {}),
    };
    write = (dir) => savePretrained(dir, saveOptions);
  }
  return pushFolder(config, where, repoId, { save: write, card, upload, ...(isPrivate !== undefined ? { private: isPrivate } : {}) });
}

/**
 * Publishes a model on the Hub, as transformers' `model.push_to_hub(repo_id)` does: the
 * repository is created if needed (`private` for a private one; a bare name goes to the token
 * owner's namespace), the branch too when `revision` names a new one; the model is saved with
 * {@link savePretrained} (sharded above `maxShardSize`, with the tokenizer when given) into a
 * temporary folder, or written there by `save`; a model card `README.md` is added when the
 * repository has none (`pipeline_tag` from the architecture, `library_name: transformers`, the
 * base model, datasets and metrics of `modelCard`; an existing card is never replaced);
 * everything is uploaded in one commit (files the branch already holds unchanged are left out)
 * and the folder removed. The family's `fromPretrained` (and transformers) load it back by id.
 * @param repoId - `namespace/name`, or a bare `name` for the token owner's namespace.
 * @param options - See {@link PushToHubOptions}: `model` and `vars`, or `save`.
 * @returns The commit (`commitUrl`, `oid`, `committed`, `added`, `unchanged`...) and `repoUrl`; `repoId` is the full id.
 * @throws {OptionError} For an unknown option name.
 * @throws {ModelLoadError} When `model` is not a model of this package, or its variables do not fit it.
 * @throws {AuthenticationError} Without a token, or when the Hub refuses it.
 * @throws {PermissionDeniedError} When the token may not write to that namespace.
 * @throws As `createRepo` and `uploadFolder`.
 * @example
 * ```ts
 * const { model, vars, tokenizer } = await CausalLM.fromPretrained('openai-community/gpt2');
 * // ... fine-tune ...
 * const { repoId } = await pushToHub('my-gpt2', { model, vars, tokenizer, modelCard: { baseModel: 'openai-community/gpt2' } });
 * ```
 */
export async function pushToHub(repoId: string, options: PushToHubOptions): Promise<PushResult> {
  return pushModel('pushToHub', repoId, options);
}
