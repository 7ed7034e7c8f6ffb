/**
 * Paths of a parameter tree (`layers.0.weight`): flattenWithPaths, fromPaths, paths, get.
 * These paths are the checkpoint keys.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { TreeStructureError } from '../errors.js';
import { isDict, walk, type Tree, type TreeDict } from './tree.js';

/**
 * The leaves with their paths, in order: dict keys and list indices joined by `.`
 * (`layers.0.weight`); a root tensor has the path `''`. Empty lists and dicts contribute nothing.
 * @throws TreeStructureError for a dict key that is empty or contains `.`, naming where it is.
 * @example `Ptree.flattenWithPaths({ w: a, b: [c] })` is `[['w', a], ['b.0', c]]`.
 */
export function flattenWithPaths(tree: Tree): Array<[string, Tensor]> {
  const out: Array<[string, Tensor]> = [];
  walk('Ptree.flattenWithPaths', tree, (t, p) => { out.push([p, t]); });
  return out;
}

/** The paths of the leaves, in order (see {@link flattenWithPaths}). */
export function paths(tree: Tree): string[] {
  const out: string[] = [];
  walk('Ptree.paths', tree, (_t, p) => { out.push(p); });
  return out;
}

type Building = { leaf?: Tensor; children: Map<string, Building> };

/**
 * Builds a tree from `[path, tensor]` entries, the inverse of {@link flattenWithPaths}. A level
 * whose keys are exactly `0..n-1` (in any order) becomes a list; any other level becomes a dict
 * with keys in first-seen order. The path `''` alone gives a root tensor.
 * Note: a dict whose keys are exactly `'0'..'n-1'` comes back as a list.
 * @throws TreeStructureError when a path is given twice, is both a leaf and a prefix of another
 * path (`a` and `a.b`), or has an empty segment (`a..b`).
 * @example `Ptree.fromPaths([['layers.0.weight', w], ['layers.1.weight', v]])` is `{layers: [{weight: w}, {weight: v}]}`.
 */
export function fromPaths(entries: Iterable<readonly [string, Tensor]>): Tree {
  const fn = 'Ptree.fromPaths';
  const root: Building = { children: new Map() };
  let count = 0;
  for (const [path, t] of entries) {
    count++;
    if (!nx.isTensor(t)) throw new TreeStructureError(`${fn}: the value at '${path}' is not a tensor`);
    if (path === '') {
      if (root.leaf !== undefined || root.children.size > 0) throw new TreeStructureError(`${fn}: the root path '' must be the only entry`);
      root.leaf = t;
      continue;
    }
    if (root.leaf !== undefined) throw new TreeStructureError(`${fn}: the root path '' must be the only entry, but '${path}' is also given`);
    const segs = path.split('.');
    let node = root;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      if (s === '') throw new TreeStructureError(`${fn}: path '${path}' has an empty segment`);
      if (node.leaf !== undefined) throw new TreeStructureError(`${fn}: '${segs.slice(0, i).join('.')}' is a tensor and also a prefix of '${path}'`);
      let child = node.children.get(s);
      if (child === undefined) {
        child = { children: new Map() };
        node.children.set(s, child);
      }
      node = child;
    }
    if (node.leaf !== undefined) throw new TreeStructureError(`${fn}: path '${path}' is given twice`);
    if (node.children.size > 0) throw new TreeStructureError(`${fn}: '${path}' is a tensor and also a prefix of other paths`);
    node.leaf = t;
  }
  if (count === 0) return {};
  return build(root);
}

function isIndexList(keys: string[]): boolean {
  const n = keys.length;
  if (n === 0) return false;
  const seen = new Array<boolean>(n).fill(false);
  for (const k of keys) {
    if (!/^(0|[1-9][0-9]*)$/.test(k)) return false;
    const i = Number(k);
    if (i >= n || seen[i]) return false;
    seen[i] = true;
  }
  return true;
}

function build(node: Building): Tree {
  if (node.leaf !== undefined) return node.leaf;
  const keys = [...node.children.keys()];
  if (isIndexList(keys)) {
    const out: Tree[] = new Array<Tree>(keys.length);
    for (const k of keys) out[Number(k)] = build(node.children.get(k)!);
    return out;
  }
  const out: TreeDict = {};
  for (const k of keys) out[k] = build(node.children.get(k)!);
  return out;
}

/**
 * The subtree (or leaf) at `path`; `''` is the whole tree.
 * @throws TreeStructureError naming the path and the first segment that does not exist.
 * @example `Ptree.get(params, 'layers.0.weight')`
 */
export function get(tree: Tree, path: string): Tree {
  if (path === '') return tree;
  let node: Tree = tree;
  const segs = path.split('.');
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    const at = segs.slice(0, i).join('.');
    if (Array.isArray(node)) {
      const idx = /^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : -1;
      if (idx < 0 || idx >= node.length) throw new TreeStructureError(`Ptree.get: no '${path}': ${at === '' ? 'the root' : `'${at}'`} is a list of length ${node.length}, no index '${s}'`);
      node = node[idx]!;
    } else if (isDict(node)) {
      if (!Object.prototype.hasOwnProperty.call(node, s)) {
        const keys = Object.keys(node);
        throw new TreeStructureError(`Ptree.get: no '${path}': ${at === '' ? 'the root' : `'${at}'`} has no key '${s}' (keys: ${keys.length > 0 ? keys.join(', ') : 'none'})`);
      }
      node = node[s]!;
    } else {
      throw new TreeStructureError(`Ptree.get: no '${path}': ${at === '' ? 'the root' : `'${at}'`} is a tensor`);
    }
  }
  return node;
}

/**
 * The tensor at `path`, typed as one: {@link get} for a leaf, without a cast.
 * @throws TreeStructureError when the path does not exist, or names a list or dict (the message
 *   lists its keys).
 * @example `const w = Ptree.getTensor(params, '0.weight'); // nx.Tensor`
 */
export function getTensor(tree: Tree, path: string): Tensor {
  const node = get(tree, path);
  if (nx.isTensor(node)) return node;
  const keys = Array.isArray(node) ? node.map((_, i) => String(i)) : Object.keys(node);
  throw new TreeStructureError(`Ptree.getTensor: '${path}' is a ${Array.isArray(node) ? 'list' : 'dict'}, not a tensor (its keys: ${keys.length > 0 ? keys.join(', ') : 'none'})`);
}

/** Whether `path` names a leaf or subtree of `tree`. */
export function has(tree: Tree, path: string): boolean {
  try {
    get(tree, path);
    return true;
  } catch (e) {
    if (e instanceof TreeStructureError) return false;
    throw e;
  }
}
