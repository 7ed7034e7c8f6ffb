/**
 * `Bert.pushToHub`: a BERT model published on the Hub in Hugging Face layout, through the
 * generic `pushToHub` over `Bert.savePretrained`.
 * @module
 */
import * as nx from '@raven/nx';

import { type ModelCardData, taskOfArchitecture } from '../../hub/push/model-card.js';
import { PUSH_KEYS_BUT_SAVE, type PushResult, type PushToHubOptions, pushWith } from '../../hub/push/push-to-hub.js';
import { type SavePretrainedOptions, savePretrained } from './save.js';

/** Options of {@link pushToHub}: what {@link savePretrained} takes, and the upload's options. */
export interface BertPushToHubOptions extends Omit<PushToHubOptions, 'save'>, SavePretrainedOptions {}

const KEYS: nx.OptionKeys<BertPushToHubOptions> = { ...PUSH_KEYS_BUT_SAVE, model: true, vars: true, tokenizer: true, maxShardSize: true };

/**
 * Publishes a BERT model on the Hub (transformers' `model.push_to_hub`): the repository is
 * created if needed, the model saved with {@link savePretrained} into a temporary folder (sharded
 * above `maxShardSize`, with the tokenizer when given), a model card added when the repository
 * has none (`pipeline_tag` from the architecture, `library_name: transformers`, plus
 * `modelCard`), everything uploaded in one commit, the folder removed.
 * `Bert.fromPretrained(repoId)` (and transformers) load it back.
 * @param repoId - `namespace/name`, or a bare `name` for the token owner's namespace.
 * @param options - The model, its variables and tokenizer, and the options of the generic `pushToHub`.
 * @returns The commit and the repository's address; `repoId` is the full id.
 * @throws {OptionError} For an unknown option name.
 * @throws {ModelLoadError} When the variables do not fit the model.
 * @throws {AuthenticationError} / {PermissionDeniedError} For a missing, refused or read-only token.
 * @example
 * ```ts
 * const { repoId } = await Bert.pushToHub('spam-bert', {
 *   model, vars, tokenizer,
 *   modelCard: { baseModel: 'google-bert/bert-base-uncased', datasets: ['spam-assassin'], metrics: { accuracy: 0.97 } },
 * });
 * const again = await Bert.fromPretrained(repoId);
 * ```
 */
export async function pushToHub(repoId: string, options: BertPushToHubOptions): Promise<PushResult> {
  nx.checkOptions('Bert.pushToHub', options, KEYS);
  const { model, vars, tokenizer, maxShardSize, modelCard, ...upload } = options;
  const architecture = model?.architecture ?? 'BertModel';
  const task = taskOfArchitecture(architecture);
  const card: ModelCardData = {
    libraryName: 'transformers',
    ...(task !== undefined ? { task } : {}),
    tags: ['bert'],
    usage: (id) =>
      `import { Bert } from '@raven/kaun-hf';\n\nconst { model, vars, tokenizer } = await Bert.fromPretrained('${id}'${architecture === 'BertModel' ? ", { architecture: 'BertModel' }" : ''});`,
    ...modelCard,
  };
  const save = (dir: string) =>
    savePretrained(dir, {
      model,
      vars,
      ...(tokenizer !== undefined ? { tokenizer } : {}),
      ...(maxShardSize !== undefined ? { maxShardSize } : {}),
    });
  return pushWith('Bert.pushToHub', repoId, { ...upload, save, modelCard: card });
}
