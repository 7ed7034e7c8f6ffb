/**
 * Turning checkpoint tensors into a BERT model's variables: keys matched (legacy names, `bert.`
 * prefix), shapes and dtypes checked, a missing task head initialised fresh and reported.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { Init, Layer, Ptree } from '@raven/kaun';
import { ModelLoadError } from '../../errors.js';
import type { BertConfig } from './config.js';
import { embeddingInit } from './embeddings.js';
import { type Architecture, type ParamSpec, headParamSpecs, paramSpecs, planKeys } from './keys.js';

/** Where load messages go: transformers-style warnings about fresh or unused weights. */
export interface Logger {
  /** Receives one warning (several lines). */
  warn(message: string): void;
}

/** Options of {@link varsFromWeights}. */
export interface VarsFromWeightsOptions {
  /** Where the weights came from, for messages. Default `'the checkpoint'`. */
  source?: string;
  /** Key for parameters initialised fresh (a new head). Default `nx.random.key(0)`. */
  key?: nx.random.Key;
  /** Whether the base model has its pooler. Default true. */
  addPoolingLayer?: boolean;
  /** Start parameters whose checkpoint shape differs (e.g. a head with another `num_labels`) fresh instead of failing. Default false. */
  ignoreMismatchedSizes?: boolean;
  /** Receives the warnings; `false` silences them. Default `console`. */
  logger?: Logger | false;
}

const VARS_FROM_WEIGHTS_KEYS: nx.OptionKeys<VarsFromWeightsOptions> = { source: true, key: true, addPoolingLayer: true, ignoreMismatchedSizes: true, logger: true };

/** What {@link varsFromWeights} did besides building the variables. */
export interface LoadReport {
  /** Parameters the checkpoint lacked (or had in another shape), initialised fresh. */
  newlyInitialized: string[];
  /** Checkpoint keys the model does not use (buffers such as `position_ids` not listed). */
  unused: string[];
  /** Parameters whose checkpoint shape differed and that were initialised fresh (`ignoreMismatchedSizes`). */
  mismatched: Array<{ key: string; checkpoint: number[]; model: number[] }>;
}

/** A fresh parameter as transformers' `_init_weights` makes it. @internal */
export function freshParam(config: BertConfig, spec: ParamSpec, key: nx.random.Key): Tensor {
  const std = config.initializer_range;
  switch (spec.init) {
    case 'zeros': return Init.zeros(key, spec.shape);
    case 'ones': return Init.ones(key, spec.shape);
    case 'normal': return Init.normal({ std })(key, spec.shape);
    case 'embedding': return embeddingInit(std, config.pad_token_id)(key, spec.shape);
  }
}

function listKeys(keys: readonly string[], max = 20): string {
  const shown = keys.slice(0, max).map((k) => `'${k}'`).join(', ');
  return `[${shown}${keys.length > max ? `, ... (${keys.length - max} more)` : ''}]`;
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * Builds the variables of `architecture` from checkpoint tensors (Hugging Face key names).
 *
 * - Legacy LayerNorm names (`gamma`, `beta`) are renamed; a checkpoint of the base model
 *   (no `bert.` prefix) loads into a task model and a task model's checkpoint into BertModel.
 * - Keys the model does not use (`cls.*` pretraining heads, another task's head) are ignored
 *   and reported; `embeddings.position_ids` silently.
 * - A missing task head (`classifier.*`) is initialised fresh (`N(0, initializer_range^2)`,
 *   bias 0) and reported, as transformers' "Some weights ... were newly initialized" warning.
 * - Tensors are taken over (not copied); unused ones are disposed. On error all are disposed.
 * @param entries - `[key, tensor]` pairs (as `loadWeights` returns them); the function owns them.
 * @param config - the model's configuration.
 * @param architecture - the model to build.
 * @returns the variables and what happened.
 * @throws ModelLoadError listing the missing keys (outside the head), naming a key whose shape
 *   differs (unless `ignoreMismatchedSizes`) or whose dtype is not floating.
 */
export function varsFromWeights(
  entries: Array<[string, Tensor]>,
  config: BertConfig,
  architecture: Architecture,
  options: VarsFromWeightsOptions = {},
): { vars: Layer.Vars; report: LoadReport } {
  nx.checkOptions('Bert.varsFromWeights', options, VARS_FROM_WEIGHTS_KEYS);
  const fn = 'Bert.fromPretrained';
  const source = options.source ?? 'the checkpoint';
  const specs = paramSpecs(config, architecture, options.addPoolingLayer ?? true);
  const byKey = new Map(entries);
  const plan = planKeys(entries.map(([k]) => k), specs.map((s) => s.path), architecture);
  const head = new Set(headParamSpecs(config, architecture).map((s) => s.path));
  const taken = new Set<Tensor>();
  const out: Array<[string, Tensor]> = [];
  const report: LoadReport = { newlyInitialized: [], unused: plan.unused, mismatched: [] };
  try {
    const missingBase = plan.missing.filter((p) => !head.has(p));
    if (missingBase.length > 0) {
      throw new ModelLoadError(
        `${fn}: ${source} lacks ${missingBase.length} weight(s) of ${architecture}: ${listKeys(missingBase)}; ` +
          `it is not a BERT checkpoint of this configuration (check config.json, or the architecture you asked for)`,
      );
    }
    let key = options.key ?? nx.random.key(0);
    for (const spec of specs) {
      const ckptKey = plan.found.get(spec.path);
      const t = ckptKey === undefined ? undefined : byKey.get(ckptKey)!;
      if (t !== undefined && t.dtype !== 'float32') {
        throw new ModelLoadError(`${fn}: ${source}: '${ckptKey}' has dtype ${t.dtype}; expected a floating-point tensor (F32, F16, BF16)`);
      }
      if (t !== undefined && (t.rank !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i]))) {
        if (!options.ignoreMismatchedSizes) {
          throw new ModelLoadError(
            `${fn}: ${source}: '${ckptKey}' has shape ${fmt(t.shape)}, the model expects ${fmt(spec.shape)} for '${spec.path}'; ` +
              `check config.json (hidden_size, vocab_size, num_labels ...) or pass ignoreMismatchedSizes: true to start it fresh`,
          );
        }
        report.mismatched.push({ key: spec.path, checkpoint: [...t.shape], model: [...spec.shape] });
      } else if (t !== undefined) {
        taken.add(t);
        out.push([spec.path, t]);
        continue;
      }
      const [k1, k2] = nx.random.split(key, 2);
      key = k1!;
      out.push([spec.path, freshParam(config, spec, k2!)]);
      report.newlyInitialized.push(spec.path);
    }
  } catch (err) {
    nx.dispose(entries.map(([, t]) => t));
    nx.dispose(out.map(([, t]) => t));
    throw err;
  }
  nx.dispose(entries.map(([, t]) => t).filter((t) => !taken.has(t)));
  const logger = options.logger === undefined ? console : options.logger;
  if (logger) {
    if (report.unused.length > 0) {
      logger.warn(
        `Some weights of the model checkpoint at ${source} were not used when initializing ${architecture}: ${listKeys(report.unused)}\n` +
          `- This IS expected if you are initializing ${architecture} from the checkpoint of a model trained on another task or with another architecture ` +
          `(e.g. initializing a BertForSequenceClassification model from a BertForPreTraining model).`,
      );
    }
    if (report.newlyInitialized.length > 0) {
      const why = report.mismatched.map((m) => `- ${m.key}: found shape ${fmt(m.checkpoint)} in the checkpoint and ${fmt(m.model)} in the model instantiated`);
      logger.warn(
        `Some weights of ${architecture} were not initialized from the model checkpoint at ${source} and are newly initialized` +
          `${why.length > 0 ? ' because the shapes did not match' : ''}: ${listKeys(report.newlyInitialized)}\n` +
          (why.length > 0 ? why.join('\n') + '\n' : '') +
          `You should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.`,
      );
    }
  }
  return { vars: { params: Ptree.fromPaths(out), state: {}, dtype: 'float32' }, report };
}
