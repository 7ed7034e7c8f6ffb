/**
 * A model card (`README.md`) with the basics, written when a pushed model has none: YAML
 * metadata the Hub indexes (`base_model`, `pipeline_tag`, `library_name`, `tags`, `datasets`,
 * `metrics`, `license`, `language`, and `model-index` results when a dataset is named), then a
 * short description and a table of the metrics.
 * @module
 */

/** What the card says. Every field is optional. */
export interface ModelCardData {
  /** The model this one was fine-tuned from (a Hub id such as `google-bert/bert-base-uncased`). */
  baseModel?: string;
  /** The task, as a Hub pipeline tag (`text-classification`, `feature-extraction`, `text-generation`). */
  task?: string;
  /** Evaluation results, e.g. `{ accuracy: 0.93, f1: 0.91 }`. */
  metrics?: Record<string, number>;
  /** Datasets it was trained or evaluated on (Hub ids or names). The first one labels the metrics. */
  datasets?: string[];
  /** Licence identifier (`apache-2.0`, `mit`). */
  license?: string;
  /** Languages (ISO 639-1 codes such as `en`). */
  language?: string[];
  /** The library that loads it (`transformers` for Hugging Face layout). */
  libraryName?: string;
  /** More tags. */
  tags?: string[];
  /** A paragraph about the model. Default: one sentence from the fields above. */
  description?: string;
  /** TypeScript that loads the model, shown under "Usage" (a function receives the full repository id). Default: no such section. */
  usage?: string | ((repoId: string) => string);
}

/** The pipeline tag of a transformers class name, by its suffix (`BertForSequenceClassification` -> `text-classification`). */
export function taskOfArchitecture(architecture: string): string | undefined {
  const rules: Array<[RegExp, string]> = [
    [/ForSequenceClassification$/, 'text-classification'],
    [/ForTokenClassification$/, 'token-classification'],
    [/ForQuestionAnswering$/, 'question-answering'],
    [/ForMaskedLM$/, 'fill-mask'],
    [/(ForCausalLM|LMHeadModel)$/, 'text-generation'],
    [/Model$/, 'feature-extraction'],
  ];
  return rules.find(([re]) => re.test(architecture))?.[1];
}

/** A YAML scalar: plain when safe, else double-quoted JSON (valid YAML). */
function scalar(value: string | number): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : JSON.stringify(String(value));
  return /^[A-Za-z0-9_][A-Za-z0-9_./-]*$/.test(value) && !/^(true|false|null|yes|no|on|off|~)$/i.test(value) && !/^[0-9.]+$/.test(value)
    ? value
    : JSON.stringify(value);
}

function list(key: string, values: readonly (string | number)[] | undefined): string[] {
  return values === undefined || values.length === 0 ? [] : [`${key}:`, ...values.map((v) => `- ${scalar(v)}`)];
}

/**
 * The text of a model card for `repoId`.
 * @param repoId - The repository (its name heads the card).
 * @param data - See {@link ModelCardData}.
 * @returns Markdown with YAML front matter.
 */
export function modelCard(repoId: string, data: ModelCardData = {}): string {
  const name = repoId.split('/').pop() ?? repoId;
  const metrics = Object.entries(data.metrics ?? {});
  const tags = [...new Set([...(data.tags ?? []), 'raven'])];
  const yaml: string[] = [
    ...(data.baseModel !== undefined ? [`base_model: ${scalar(data.baseModel)}`] : []),
    ...(data.libraryName !== undefined ? [`library_name: ${scalar(data.libraryName)}`] : []),
    ...(data.task !== undefined ? [`pipeline_tag: ${scalar(data.task)}`] : []),
    ...(data.license !== undefined ? [`license: ${scalar(data.license)}`] : []),
    ...list('language', data.language),
    ...list('tags', tags),
    ...list('datasets', data.datasets),
    ...list('metrics', metrics.map(([k]) => k)),
  ];
  const dataset = data.datasets?.[0];
  if (metrics.length > 0 && dataset !== undefined && data.task !== undefined) {
    yaml.push(
      'model-index:',
      `- name: ${scalar(name)}`,
      '  results:',
      '  - task:',
      `      type: ${scalar(data.task)}`,
      '    dataset:',
      `      name: ${scalar(dataset)}`,
      `      type: ${scalar(dataset)}`,
      '    metrics:',
      ...metrics.flatMap(([k, v]) => [`    - type: ${scalar(k)}`, `      value: ${scalar(v)}`]),
    );
  }
  const about =
    data.description ??
    `This model${data.baseModel !== undefined ? ` is a fine-tuned version of [${data.baseModel}](https://huggingface.co/${data.baseModel})` : ''}` +
      `${data.task !== undefined ? `${data.baseModel !== undefined ? ' for' : ' does'} ${data.task.replace(/-/g, ' ')}` : ''}` +
      `${data.datasets?.length ? ` on ${data.datasets.join(', ')}` : ''}, trained with Raven for TypeScript (\`@raven/kaun-hf\`).`;
  const body = [
    `# ${name}`,
    '',
    about,
    ...(metrics.length > 0
      ? ['', '## Evaluation', '', '| metric | value |', '|---|---|', ...metrics.map(([k, v]) => `| ${k} | ${v} |`)]
      : []),
    ...(data.usage !== undefined
      ? ['', '## Usage', '', '```ts', (typeof data.usage === 'function' ? data.usage(repoId) : data.usage).trimEnd(), '```']
      : []),
  ];
  return `---\n${yaml.join('\n')}\n---\n\n${body.join('\n')}\n`;
}
