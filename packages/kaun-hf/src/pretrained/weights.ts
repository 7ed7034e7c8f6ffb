/**
 * Turning checkpoint tensors into a model's variables: keys matched ({@link planKeys}), shapes
 * and dtypes checked, parameters a checkpoint may lack (a task head) initialised fresh and
 * reported, tensors taken over without copies.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { type Layer, Ptree } from '@raven/kaun';
import { ModelLoadError } from '../errors.js';
import { type KeyRules, planKeys } from './keys.js';
import type { ParamSpec } from './model.js';
import { type LoadReport, type Logger, fmtShape, listKeys, warnLoad } from './report.js';

/** Options of {@link varsFromWeights} a caller of `fromPretrained` controls. */
export interface VarsFromWeightsOptions {
  /** Where the weights came from, for messages. Default `'the checkpoint'`. */
  source?: string;
  /** Key for parameters initialised fresh (a new head). Default `nx.random.key(0)`. */
  key?: nx.random.Key;
  /** Start parameters whose checkpoint shape differs (e.g. a head with another `num_labels`) fresh instead of failing. Default false. */
  ignoreMismatchedSizes?: boolean;
  /** Receives the warnings; `false` silences them. Default `console`. */
  logger?: Logger | false;
}

/** What a family tells {@link varsFromWeights} about the model being built. */
export interface WeightsPlan<I extends string = string> {
  /** The calling function, for messages (`Bert.fromPretrained`). */
  where: string;
  /** The family's name in messages (`BERT`, `GPT-2`). */
  family: string;
  /** The transformers class being built. */
  architecture: string;
  /** Every parameter of the model, in order. */
  specs: ParamSpec<I>[];
  /** How checkpoint keys map onto the paths. */
  rules: KeyRules;
  /** Parameters a checkpoint may lack; they start fresh with a warning (a task head). */
  optional: ReadonlySet<string>;
  /** A fresh value of a parameter (transformers' `_init_weights`). */
  fresh: (spec: ParamSpec<I>, key: nx.random.Key) => Tensor;
}

/**
 * Builds a model's variables from checkpoint tensors (Hugging Face key names).
 *
 * - Keys are matched by {@link planKeys} with the family's rules; keys the model does not use
 *   are reported (and warned about) unless the rules ignore them.
 * - A parameter the checkpoint lacks is an error, unless it is `optional` (a task head): then it
 *   starts fresh and the report and a warning say so, as transformers' "newly initialized".
 * - Tensors are taken over (not copied); unused ones are disposed. On error all are disposed.
 * @param entries - `[key, tensor]` pairs (as `loadWeights` returns them, F16/BF16 already cast to float32); the function owns them.
 * @param plan - the model being built.
 * @param options - see {@link VarsFromWeightsOptions}.
 * @returns the variables (params with the Hugging Face key names, no state) and what happened.
 * @throws ModelLoadError listing the missing keys, naming a key whose shape differs (unless
 *   `ignoreMismatchedSizes`) or whose dtype is not floating.
 */
export function varsFromWeights<I extends string>(
  entries: Array<[string, Tensor]>,
  plan: WeightsPlan<I>,
  options: VarsFromWeightsOptions = {},
): { vars: Layer.Vars; report: LoadReport } {
  const { where: fn, architecture, specs } = plan;
  const source = options.source ?? 'the checkpoint';
  const byKey = new Map(entries);
  const keys = planKeys(entries.map(([k]) => k), specs.map((s) => s.path), plan.rules);
  const taken = new Set<Tensor>();
  const out: Array<[string, Tensor]> = [];
  const report: LoadReport = { newlyInitialized: [], unused: keys.unused, mismatched: [] };
  try {
    const missing = keys.missing.filter((p) => !plan.optional.has(p));
    if (missing.length > 0) {
      throw new ModelLoadError(
        `${fn}: ${source} lacks ${missing.length} weight(s) of ${architecture}: ${listKeys(missing)}; ` +
          `it is not a ${plan.family} checkpoint of this configuration (check config.json, or the architecture you asked for)`,
      );
    }
    let key = options.key ?? nx.random.key(0);
    for (const spec of specs) {
      const ckptKey = keys.found.get(spec.path);
      const t = ckptKey === undefined ? undefined : byKey.get(ckptKey)!;
      if (t !== undefined && t.dtype !== 'float32') {
        throw new ModelLoadError(`${fn}: ${source}: '${ckptKey}' has dtype ${t.dtype}; expected a floating-point tensor (F32, F16, BF16)`);
      }
      if (t !== undefined && (t.rank !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i]))) {
        if (!options.ignoreMismatchedSizes) {
          throw new ModelLoadError(
            `${fn}: ${source}: '${ckptKey}' has shape ${fmtShape(t.shape)}, the model expects ${fmtShape(spec.shape)} for '${spec.path}'; ` +
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
      out.push([spec.path, plan.fresh(spec, k2!)]);
      report.newlyInitialized.push(spec.path);
    }
  } catch (err) {
    nx.dispose(entries.map(([, t]) => t));
    nx.dispose(out.map(([, t]) => t));
    throw err;
  }
  nx.dispose(entries.map(([, t]) => t).filter((t) => !taken.has(t)));
  warnLoad(report, source, architecture, options.logger);
  return { vars: { params: Ptree.fromPaths(out), state: {}, dtype: 'float32' }, report };
}
