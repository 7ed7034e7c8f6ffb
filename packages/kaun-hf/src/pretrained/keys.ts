/**
 * Matching checkpoint keys with a model's parameter paths, as transformers does: keys renamed
 * (legacy names), the base model's prefix (`bert.`, `transformer.`, `model.`) added or stripped
 * between a base model and a task model, buffers ignored.
 * @module
 */

/** How a family's checkpoint keys map onto its parameter paths. */
export interface KeyRules {
  /** transformers' `base_model_prefix` with its dot: `'bert.'`, `'transformer.'`, `'model.'`. */
  basePrefix: string;
  /** Whether the model's paths carry the prefix (a task model such as `GPT2LMHeadModel`), or not (the base model). */
  prefixed: boolean;
  /** Renames a checkpoint key before matching (e.g. legacy `gamma` to `weight`). Default: none. */
  rename?: (key: string) => string;
  /** Checkpoint keys no model uses that need no mention (buffers such as `attn.bias`). Default: none. */
  ignore?: (key: string) => boolean;
}

/** The plan for mapping checkpoint keys onto a model's parameters. */
export interface KeyPlan {
  /** Model path -> checkpoint key, for every parameter found. */
  found: Map<string, string>;
  /** Model paths the checkpoint lacks. */
  missing: string[];
  /** Checkpoint keys no parameter takes (ignored buffers left out). */
  unused: string[];
}

/**
 * Matches checkpoint keys with model paths: keys renamed by `rules.rename`; a base model's
 * checkpoint (no prefix) loads into a task model (its keys get the prefix where the model has
 * such a root, e.g. `h.0.attn.c_attn.weight` becomes `transformer.h.0.attn.c_attn.weight`), and
 * a task model's checkpoint into the base model (the prefix stripped, the head left unused).
 * @param checkpointKeys - the keys in the checkpoint.
 * @param modelPaths - the model's parameter paths.
 * @param rules - the family's rules.
 */
export function planKeys(checkpointKeys: readonly string[], modelPaths: readonly string[], rules: KeyRules): KeyPlan {
  const prefix = rules.basePrefix;
  const rename = rules.rename ?? ((k: string) => k);
  const renamed = new Map<string, string>(); // normalised key -> original key
  for (const k of checkpointKeys) {
    const n = rename(k);
    if (!renamed.has(n) || n === k) renamed.set(n, k);
  }
  const hasPrefix = [...renamed.keys()].some((k) => k.startsWith(prefix));
  // the first components of the base model's paths (`embeddings`, `encoder`, `pooler` for BERT)
  const roots = new Set(modelPaths.filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length).split('.')[0]!));
  const toModel = (k: string): string => {
    if (rules.prefixed && !hasPrefix) return roots.has(k.split('.')[0]!) ? prefix + k : k;
    if (!rules.prefixed && hasPrefix) return k.startsWith(prefix) ? k.slice(prefix.length) : `<head>.${k}`;
    return k;
  };
  const byModel = new Map<string, string>();
  for (const [n, orig] of renamed) byModel.set(toModel(n), orig);
  const wanted = new Set(modelPaths);
  const found = new Map<string, string>();
  const missing: string[] = [];
  for (const p of modelPaths) {
    const k = byModel.get(p);
    if (k === undefined) missing.push(p);
    else found.set(p, k);
  }
  const taken = new Set(found.values());
  const ignore = rules.ignore ?? (() => false);
  const unused = checkpointKeys.filter((k) => !taken.has(k) && !ignore(k) && !wanted.has(k));
  return { found, missing, unused };
}
