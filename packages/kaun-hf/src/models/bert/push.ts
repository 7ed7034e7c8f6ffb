/**
 * `Bert.pushToHub`: a BERT model published on the Hub in Hugging Face layout (the package's
 * `pushToHub`, under BERT's name).
 * @module
 */
import type { PushResult } from '../../hub/push/push-folder.js';
import { pushModel, type PushToHubOptions } from '../../pretrained/push.js';

/** Options of {@link pushToHub}: the model and its variables, the tokenizer, the card and the upload's options. */
export interface BertPushToHubOptions extends Omit<PushToHubOptions, 'save' | 'model'> {
  /** The model (a layer from `Bert.bertModel`, `Bert.bertForSequenceClassification` or `Bert.fromPretrained`). */
  model: NonNullable<PushToHubOptions['model']>;
}

/**
 * Publishes a BERT model on the Hub (transformers' `model.push_to_hub`): the package's
 * `pushToHub` with a BERT model. The repository is created if needed, the model saved with
 * {@link savePretrained} into a temporary folder (sharded above `maxShardSize`, with the
 * tokenizer when given), a model card added when the repository has none (`pipeline_tag` from
 * the architecture, `library_name: transformers`, plus `modelCard`), everything uploaded in one
 * commit, the folder removed. `Bert.fromPretrained(repoId)` (and transformers) load it back.
 * @param repoId - `namespace/name`, or a bare `name` for the token owner's namespace.
 * @param options - The model, its variables and tokenizer, and the options of `pushToHub`.
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
  return pushModel('Bert.pushToHub', repoId, options);
}
