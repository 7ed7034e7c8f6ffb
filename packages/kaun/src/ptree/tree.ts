/**
 * The parameter-tree type and its traversals: map, map2, mapWithPath, fold, flatten, leaves.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { TreeStructureError } from '../errors.js';

/**
 * A parameter tree: a tensor (a leaf), a list of trees, or a dict of trees with string keys.
 * Dict keys may not contain `.` nor be empty, because paths join keys and list indices with `.`
 * (`layers.0.weight`); those paths are the checkpoint keys. Dict keys keep their insertion order.
 */
export type Tree = Tensor | Tree[] | { [key: string]: Tree };

/** A dict node of a {@link Tree}. */
export type TreeDict = { [key: string]: Tree };

/** Whether `v` is a plain object (a dict node). @internal */
export function isDict(v: unknown): v is TreeDict {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || nx.isTensor(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Joins a parent path and a key. @internal */
export function joinPath(parent: string, key: string | number): string {
  return parent === '' ? String(key) : `${parent}.${key}`;
}

function where(path: string): string {
  return path === '' ? 'the root' : `'${path}'`;
}

/** Throws unless `key` is a valid dict key. @internal */
export function checkKey(fn: string, key: string, path: string): void {
  if (key === '' || key.includes('.')) {
    throw new TreeStructureError(`${fn}: dict key ${JSON.stringify(key)} at ${where(path)} is invalid; keys must be non-empty and may not contain '.' (paths join keys with '.')`);
  }
}

/** Describes what a non-tree value is, for error messages. @internal */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return `an object of class ${(v as object).constructor?.name ?? 'unknown'}`;
  return `a ${typeof v}`;
}

function badNode(fn: string, v: unknown, path: string): TreeStructureError {
  return new TreeStructureError(`${fn}: expected a tensor, a list or a plain dict at ${where(path)}, got ${describe(v)}`);
}

/**
 * Visits every leaf in order (lists by index, dicts by insertion order) with its path.
 * @internal
 */
export function walk(fn: string, tree: Tree, visit: (t: Tensor, path: string) => void, path = ''): void {
  if (nx.isTensor(tree)) { visit(tree, path); return; }
  if (Array.isArray(tree)) {
    for (let i = 0; i < tree.length; i++) walk(fn, tree[i]!, visit, joinPath(path, i));
    return;
  }
  if (!isDict(tree)) throw badNode(fn, tree, path);
  for (const k of Object.keys(tree)) {
    checkKey(fn, k, path);
    walk(fn, tree[k]!, visit, joinPath(path, k));
  }
}

function mapAt(fn: string, tree: Tree, f: (t: Tensor, path: string) => Tensor, path: string): Tree {
  if (nx.isTensor(tree)) return f(tree, path);
  if (Array.isArray(tree)) return tree.map((c, i) => mapAt(fn, c, f, joinPath(path, i)));
  if (!isDict(tree)) throw badNode(fn, tree, path);
  const out: TreeDict = {};
  for (const k of Object.keys(tree)) {
    checkKey(fn, k, path);
    out[k] = mapAt(fn, tree[k]!, f, joinPath(path, k));
  }
  return out;
}

/**
 * A tree of the same structure with every leaf replaced by `f(leaf, path)`.
 * @param f - receives the leaf and its path (`layers.0.weight`; `''` for a root tensor).
 * @throws TreeStructureError naming the path of a node that is not a tensor, list or dict, or of an invalid key.
 * @example `Ptree.map(params, (w) => nx.mul(w, 0.5))`
 */
export function map(tree: Tree, f: (t: Tensor, path: string) => Tensor): Tree {
  return mapAt('Ptree.map', tree, f, '');
}

/**
 * Like {@link map} with the path first: `f(path, leaf)`.
 * @example `Ptree.mapWithPath(params, (path, w) => (path.endsWith('bias') ? w : nx.mul(w, 0.9)))`
 */
export function mapWithPath(tree: Tree, f: (path: string, t: Tensor) => Tensor): Tree {
  return mapAt('Ptree.mapWithPath', tree, (t, p) => f(p, t), '');
}

function map2At(a: Tree, b: Tree, f: (x: Tensor, y: Tensor, path: string) => Tensor, path: string): Tree {
  const fn = 'Ptree.map2';
  if (nx.isTensor(a)) {
    if (!nx.isTensor(b)) throw new TreeStructureError(`${fn}: structures differ at ${where(path)}: a tensor in the first tree, ${describe(b)} in the second`);
    return f(a, b, path);
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b)) throw new TreeStructureError(`${fn}: structures differ at ${where(path)}: a list in the first tree, ${nx.isTensor(b) ? 'a tensor' : describe(b)} in the second`);
    if (a.length !== b.length) throw new TreeStructureError(`${fn}: structures differ at ${where(path)}: lists of length ${a.length} and ${b.length}`);
    return a.map((c, i) => map2At(c, b[i]!, f, joinPath(path, i)));
  }
  if (!isDict(a)) throw badNode(fn, a, path);
  if (!isDict(b)) throw new TreeStructureError(`${fn}: structures differ at ${where(path)}: a dict in the first tree, ${nx.isTensor(b) ? 'a tensor' : describe(b)} in the second`);
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const missing = ka.filter((k) => !(k in b));
  const extra = kb.filter((k) => !(k in a));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [];
    if (missing.length > 0) parts.push(`keys only in the first tree: ${missing.join(', ')}`);
    if (extra.length > 0) parts.push(`keys only in the second tree: ${extra.join(', ')}`);
    throw new TreeStructureError(`${fn}: structures differ at ${where(path)}: ${parts.join('; ')}`);
  }
  const out: TreeDict = {};
  for (const k of ka) {
    checkKey(fn, k, path);
    out[k] = map2At(a[k]!, b[k]!, f, joinPath(path, k));
  }
  return out;
}

/**
 * Combines two trees of the same structure leaf by leaf: `f(a_leaf, b_leaf, path)`. Dicts are
 * matched by key (their key order may differ; the result follows `a`).
 * @throws TreeStructureError naming the first path where the structures differ (missing keys,
 * list lengths, a tensor against a container).
 * @example `Ptree.map2(params, grads, (p, g) => nx.sub(p, nx.mul(g, 0.1)))`
 */
export function map2(a: Tree, b: Tree, f: (x: Tensor, y: Tensor, path: string) => Tensor): Tree {
  return map2At(a, b, f, '');
}

/**
 * Folds over the leaves in order (lists by index, dicts by insertion order).
 * @returns the final accumulator.
 * @example `Ptree.fold(params, 0, (n, t) => n + t.size)`
 */
export function fold<A>(tree: Tree, init: A, f: (acc: A, t: Tensor, path: string) => A): A {
  let acc = init;
  walk('Ptree.fold', tree, (t, p) => { acc = f(acc, t, p); });
  return acc;
}

/** The leaves in order (lists by index, dicts by insertion order). */
export function leaves(tree: Tree): Tensor[] {
  const out: Tensor[] = [];
  walk('Ptree.leaves', tree, (t) => { out.push(t); });
  return out;
}

/** The result of {@link flatten}: the leaves and a function that puts new leaves back in place. */
export interface Flattened {
  /** The leaves, in order. */
  leaves: Tensor[];
  /**
   * A tree of the original structure holding `leaves` (same count and order as {@link Flattened.leaves}).
   * @throws TreeStructureError when the count differs.
   */
  rebuild(leaves: readonly Tensor[]): Tree;
}

type Skeleton = null | Skeleton[] | { [key: string]: Skeleton };

function skeletonOf(tree: Tree, out: Tensor[], path: string): Skeleton {
  if (nx.isTensor(tree)) { out.push(tree); return null; }
  if (Array.isArray(tree)) return tree.map((c, i) => skeletonOf(c, out, joinPath(path, i)));
  if (!isDict(tree)) throw badNode('Ptree.flatten', tree, path);
  const s: { [key: string]: Skeleton } = {};
  for (const k of Object.keys(tree)) {
    checkKey('Ptree.flatten', k, path);
    s[k] = skeletonOf(tree[k]!, out, joinPath(path, k));
  }
  return s;
}

function fill(s: Skeleton, leaves: readonly Tensor[], pos: { i: number }): Tree {
  if (s === null) return leaves[pos.i++]!;
  if (Array.isArray(s)) return s.map((c) => fill(c, leaves, pos));
  const out: TreeDict = {};
  for (const k of Object.keys(s)) out[k] = fill(s[k]!, leaves, pos);
  return out;
}

/**
 * Splits a tree into its leaves and a rebuild function, e.g. to pass parameters to
 * `nx.valueAndGrad` (which works over lists of tensors) and rebuild the gradient tree.
 * @example
 * ```ts
 * const { leaves, rebuild } = Ptree.flatten(params);
 * const { grads } = nx.valueAndGrad((...ls) => lossOf(rebuild(ls)))(...leaves);
 * const gradTree = rebuild(grads);
 * ```
 */
export function flatten(tree: Tree): Flattened {
  const leaves: Tensor[] = [];
  const skeleton = skeletonOf(tree, leaves, '');
  const n = leaves.length;
  return {
    leaves,
    rebuild(ls: readonly Tensor[]): Tree {
      if (ls.length !== n) throw new TreeStructureError(`Ptree.flatten: rebuild expected ${n} leaves, got ${ls.length}`);
      return fill(skeleton, ls, { i: 0 });
    },
  };
}
