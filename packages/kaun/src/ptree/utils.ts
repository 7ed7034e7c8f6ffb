/**
 * Whole-tree helpers: zerosLike, onesLike, countParameters, sameStructure, dispose, format.
 * @module
 */
import * as nx from '@raven/nx';
import { isDict, walk, map, type Tree } from './tree.js';

/** A tree of the same structure with zero leaves of the same shapes and dtypes (new tensors). */
export function zerosLike(tree: Tree): Tree {
  return map(tree, (t) => nx.zerosLike(t));
}

/** A tree of the same structure with leaves of ones, same shapes and dtypes (new tensors). */
export function onesLike(tree: Tree): Tree {
  return map(tree, (t) => nx.onesLike(t));
}

/**
 * The total number of elements over all leaves (the parameter count of a params tree).
 * @example `Ptree.countParameters(Layer.params(vars))` is 101770 for a 784-128-10 MLP.
 */
export function countParameters(tree: Tree): number {
  let n = 0;
  walk('Ptree.countParameters', tree, (t) => { n += t.size; });
  return n;
}

/**
 * Whether two trees have the same structure: the same containers, list lengths and dict keys
 * (in any order), and tensors at the same places. Shapes are not compared.
 */
export function sameStructure(a: Tree, b: Tree): boolean {
  if (nx.isTensor(a) || nx.isTensor(b)) return nx.isTensor(a) && nx.isTensor(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((c, i) => sameStructure(c, b[i]!));
  }
  if (!isDict(a) || !isDict(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameStructure(a[k]!, b[k]!));
}

/** Frees every tensor of the tree (safe to call twice). */
export function dispose(tree: Tree): void {
  nx.dispose(tree);
}

/** Options of {@link format}. */
export interface FormatOptions {
  /** A title printed on the first line; default `'Tree'`. */
  title?: string;
  /** Print at most this many leaves, then `... n more`; default all. */
  maxLeaves?: number;
}

const FORMAT_KEYS: nx.OptionKeys<FormatOptions> = { title: true, maxLeaves: true };

const group = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/**
 * A readable table of the tree: one line per leaf with its path, shape, dtype and element
 * count, and a header with the number of tensors and the total parameter count.
 * @example
 * ```text
 * Tree: 4 tensors, 101,770 parameters
 *   0.weight  [128, 784]  float32  100,352
 *   0.bias    [128]       float32      128
 *   ...
 * ```
 */
export function format(tree: Tree, options: FormatOptions = {}): string {
  nx.checkOptions('Ptree.format', options, FORMAT_KEYS);
  const rows: Array<[string, string, string, string]> = [];
  let total = 0;
  walk('Ptree.format', tree, (t, p) => {
    total += t.size;
    rows.push([p === '' ? '(root)' : p, `[${t.shape.join(', ')}]`, t.dtype, group(t.size)]);
  });
  const title = options.title ?? 'Tree';
  const head = `${title}: ${rows.length} tensor${rows.length === 1 ? '' : 's'}, ${group(total)} parameter${total === 1 ? '' : 's'}`;
  const shown = options.maxLeaves !== undefined ? rows.slice(0, options.maxLeaves) : rows;
  const w = [0, 1, 2, 3].map((i) => Math.max(0, ...shown.map((r) => r[i]!.length)));
  const lines = shown.map((r) => `  ${r[0].padEnd(w[0]!)}  ${r[1].padEnd(w[1]!)}  ${r[2].padEnd(w[2]!)}  ${r[3].padStart(w[3]!)}`);
  if (shown.length < rows.length) lines.push(`  ... ${rows.length - shown.length} more`);
  return [head, ...lines].join('\n');
}
