/**
 * Runtime checking of option names. TypeScript rejects `nx.sum(x, {dim: 1})` only in a project
 * that type-checks; code run with `tsx`, plain JavaScript or options built at run time would
 * silently ignore the misspelt key. Every public function of the Raven packages that takes an
 * options object calls {@link checkOptions} first.
 * @module
 */
import { OptionError } from './errors.js';

export { OptionError };

/**
 * The complete set of keys an options type `T` allows, written as an object literal with
 * `true` for each key. TypeScript checks the list is exact: a key missing from the literal or a
 * key `T` does not have is a compile error, so the runtime list cannot drift from the type.
 * @example
 * ```ts
 * interface SumOptions { axis?: number; keepDims?: boolean }
 * const SUM_KEYS: nx.OptionKeys<SumOptions> = { axis: true, keepDims: true };
 * ```
 */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]: true };

/** Edit distance with adjacent transpositions (optimal string alignment), case-insensitive. @internal */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[s.length]![t.length]!;
}

/**
 * Names other libraries use for our options (PyTorch's `dim`, Keras' `learning_rate`), compared
 * without case and underscores: when the key is one of these and the function knows the target,
 * that is the suggestion.
 */
const SYNONYMS: Readonly<Record<string, string>> = {
  dim: 'axis', axes: 'axis', keepdim: 'keepDims', learningrate: 'lr', lrate: 'lr', numepochs: 'epochs', nepochs: 'epochs',
  betas: 'b1', beta1: 'b1', beta2: 'b2', epsilon: 'eps',
};

/**
 * The known key closest to `key` when it is close enough to be a typo: an edit distance of at
 * most a third of the longer name (at least 1), else a known synonym (PyTorch's `dim` for `axis`,
 * `learningRate` for `lr`), else one name a prefix or suffix of the other (both at least 3 characters: `batch` /
 * `batchSize`, `aux` / `hasAux`). `undefined` when nothing is close. @internal
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(key.length, best.length) / 3));
  if (bestD <= limit) return best;
  const synonym = SYNONYMS[key.toLowerCase().replace(/_/g, '')];
  if (synonym !== undefined && known.includes(synonym)) return synonym;
  const lk = key.toLowerCase();
  return known.find((k) => {
    const l = k.toLowerCase();
    return Math.min(l.length, lk.length) >= 3 && (l.startsWith(lk) || lk.startsWith(l) || l.endsWith(lk) || lk.endsWith(l));
  });
}

/**
 * Throws an {@link OptionError} when `options` has a key that is not in `known`. `undefined`
 * and `null` pass (no options). Values are not checked here; only names. Keys whose value is
 * `undefined` are checked too: `{epoch: undefined}` is still a typo.
 * @param where - the public function, as users call it (`nx.sum`, `Train.fit`).
 * @param options - the options object the caller passed.
 * @param known - every key the function accepts, see {@link OptionKeys}.
 * @throws OptionError naming the unknown key, the closest known key and the full list.
 * @throws OptionError when `options` is not a plain object (a number passed where options go).
 * @example
 * ```ts
 * nx.checkOptions('myOp', { axsi: 1 }, { axis: true, keepDims: true });
 * // OptionError: myOp: unknown option "axsi"; did you mean "axis"? (known options: axis, keepDims)
 * ```
 */
export function checkOptions<T extends object>(where: string, options: T | undefined | null, known: OptionKeys<T> | readonly string[]): void {
  if (options === undefined || options === null) return;
  const names = Array.isArray(known) ? (known as readonly string[]) : Object.keys(known);
  if (typeof options !== 'object' || Array.isArray(options)) {
    const got = Array.isArray(options) ? 'an array' : `${typeof options} ${String(options)}`;
    const hint = typeof options === 'number' && names.includes('axis') ? ` (for an axis write {axis: ${options}})` : '';
    throw new OptionError(`${where}: options must be an object with keys ${names.join(', ')}; got ${got}${hint}`, where, '', undefined);
  }
  for (const key of Object.keys(options)) {
    if (names.includes(key)) continue;
    const suggestion = closestKey(key, names);
    const hint = suggestion !== undefined ? `; did you mean "${suggestion}"?` : '';
    throw new OptionError(`${where}: unknown option "${key}"${hint} (known options: ${names.join(', ') || 'none'})`, where, key, suggestion);
  }
}
