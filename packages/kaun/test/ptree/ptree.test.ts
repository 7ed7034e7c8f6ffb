import * as nx from '@raven/nx';
import { Ptree, TreeStructureError } from '@raven/kaun';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

type Tree = Ptree.Tree;

// A tree whose leaves carry distinct values; dict keys avoid all-digit names (which fromPaths
// would read back as a list) and '.'.
const keyArb = fc.stringMatching(/^[a-z_][a-z0-9_]{0,5}$/);
const leafArb = fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }).map((shape) => ({ kind: 'leaf' as const, shape }));
type Spec = { kind: 'leaf'; shape: number[] } | { kind: 'list'; items: Spec[] } | { kind: 'dict'; entries: Array<[string, Spec]> };
const specArb: fc.Arbitrary<Spec> = fc.letrec<{ node: Spec }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.array(tie('node'), { minLength: 1, maxLength: 3 }).map((items) => ({ kind: 'list' as const, items })),
    fc.uniqueArray(fc.tuple(keyArb, tie('node')), { minLength: 1, maxLength: 3, selector: (e) => e[0] }).map((entries) => ({ kind: 'dict' as const, entries })),
  ),
})).node;

let counter = 0;
function build(s: Spec): Tree {
  if (s.kind === 'leaf') {
    const n = s.shape.reduce((a, b) => a * b, 1);
    return nx.fromArray(Array.from({ length: n }, () => counter++), { shape: s.shape });
  }
  if (s.kind === 'list') return s.items.map(build);
  return Object.fromEntries(s.entries.map(([k, v]) => [k, build(v)]));
}

/** Structural equality with tensor identity at the leaves. */
function sameTree(a: Tree, b: Tree): boolean {
  if (nx.isTensor(a) || nx.isTensor(b)) return a === b;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((c, i) => sameTree(c, b[i]!));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k, i) => kb[i] === k && sameTree(a[k]!, (b as Record<string, Tree>)[k]!));
}


describe('Ptree properties', () => {
  it('fromPaths inverts flattenWithPaths; flatten/rebuild and map identity round trip', () => {
    const start = nx.memory().numTensors;
    fc.assert(fc.property(specArb, (spec) => {
      const tree = build(spec);
      try {
        const entries = Ptree.flattenWithPaths(tree);
        expect(sameTree(Ptree.fromPaths(entries), tree)).toBe(true);
        const { leaves, rebuild } = Ptree.flatten(tree);
        expect(leaves).toEqual(entries.map((e) => e[1]));
        expect(sameTree(rebuild(leaves), tree)).toBe(true);
        expect(sameTree(Ptree.map(tree, (t) => t), tree)).toBe(true);
        expect(Ptree.paths(tree)).toEqual(entries.map((e) => e[0]));
        for (const [p, t] of entries) expect(Ptree.get(tree, p)).toBe(t);
        expect(Ptree.countParameters(tree)).toBe(leaves.reduce((n, t) => n + t.size, 0));
        expect(Ptree.fold(tree, [] as string[], (acc, _t, p) => [...acc, p])).toEqual(entries.map((e) => e[0]));
      } finally {
        Ptree.dispose(tree);
      }
    }), { numRuns: 150 });
    expect(nx.memory().numTensors).toBe(start);
  });

  it('map2 pairs leaves by path, whatever the dict key order', () => {
    const start = nx.memory().numTensors;
    fc.assert(fc.property(specArb, (spec) => {
      const a = build(spec);
      // the same structure with dict keys reversed
      const rev = (t: Tree): Tree => nx.isTensor(t) ? nx.mul(t, 2) : Array.isArray(t) ? t.map(rev) : Object.fromEntries(Object.entries(t).reverse().map(([k, v]) => [k, rev(v)]));
      const b = rev(a);
      try {
        const seen: string[] = [];
        const c = Ptree.map2(a, b, (x, y, p) => { seen.push(p); return nx.sub(y, x); });
        expect(seen).toEqual(Ptree.paths(a));
        for (const [p, t] of Ptree.flattenWithPaths(c)) expect(Array.from(t.dataSync())).toEqual(Array.from((Ptree.get(a, p) as nx.Tensor).dataSync()));
        Ptree.dispose(c);
      } finally {
        Ptree.dispose([a, b]);
      }
    }), { numRuns: 60 });
    expect(nx.memory().numTensors).toBe(start);
  });
});

describe('Ptree paths and errors', () => {
  const w = nx.zeros([2, 3]);
  const b = nx.zeros([2]);
  it('joins dict keys and list indices with dots', () => {
    const tree: Tree = { layers: [{ weight: w, bias: b }, {}], head: w };
    expect(Ptree.flattenWithPaths(tree)).toEqual([['layers.0.weight', w], ['layers.0.bias', b], ['head', w]]);
    expect(Ptree.flattenWithPaths(w)).toEqual([['', w]]);
    expect(Ptree.fromPaths([['', w]])).toBe(w);
    expect(Ptree.fromPaths([])).toEqual({});
    const t = Ptree.fromPaths([['layers.1.weight', b], ['layers.0.weight', w]]) as { layers: Array<{ weight: nx.Tensor }> };
    expect(Array.isArray(t.layers)).toBe(true);
    expect(t.layers[0]!.weight).toBe(w);
    expect(t.layers[1]!.weight).toBe(b);
    // keys 0 and 2 are not 0..n-1: a dict
    expect(Array.isArray((Ptree.fromPaths([['x.0', w], ['x.2', b]]) as Record<string, Tree>)['x'])).toBe(false);
  });

  it('rejects keys with dots, naming where', () => {
    expect(() => Ptree.flattenWithPaths({ a: { 'b.c': w } })).toThrow(TreeStructureError);
    expect(() => Ptree.flattenWithPaths({ a: { 'b.c': w } })).toThrow(/"b\.c" at 'a'/);
    expect(() => Ptree.map({ '': w }, (t) => t)).toThrow(TreeStructureError);
  });

  it('rejects non-tree nodes, naming the path', () => {
    expect(() => Ptree.leaves({ a: [w, 3 as unknown as Tree] })).toThrow(/at 'a\.1'.*a number/);
    expect(() => Ptree.leaves({ a: new Map() as unknown as Tree })).toThrow(/class Map/);
  });

  it('map2 names the path of a structure mismatch', () => {
    expect(() => Ptree.map2({ a: { x: w } }, { a: { y: w } }, (p) => p)).toThrow(/at 'a': keys only in the first tree: x; keys only in the second tree: y/);
    expect(() => Ptree.map2({ l: [w, w] }, { l: [w] }, (p) => p)).toThrow(/at 'l': lists of length 2 and 1/);
    expect(() => Ptree.map2({ l: [w] }, { l: [{ a: w }] }, (p) => p)).toThrow(/at 'l\.0'/);
    expect(() => Ptree.map2({ l: [w] }, { l: w }, (p) => p)).toThrow(TreeStructureError);
  });

  it('fromPaths rejects duplicates and leaf/prefix clashes', () => {
    expect(() => Ptree.fromPaths([['a', w], ['a', b]])).toThrow(/given twice/);
    expect(() => Ptree.fromPaths([['a', w], ['a.b', b]])).toThrow(/'a' is a tensor and also a prefix/);
    expect(() => Ptree.fromPaths([['a.b', b], ['a', w]])).toThrow(/prefix/);
    expect(() => Ptree.fromPaths([['a..b', b]])).toThrow(/empty segment/);
    expect(() => Ptree.fromPaths([['', w], ['a', b]])).toThrow(/root/);
  });

  it('get names the missing segment; has answers without throwing', () => {
    const tree = { layers: [{ weight: w }] };
    expect(() => Ptree.get(tree, 'layers.3.weight')).toThrow(/'layers' is a list of length 1, no index '3'/);
    expect(() => Ptree.get(tree, 'layers.0.bias')).toThrow(/'layers\.0' has no key 'bias' \(keys: weight\)/);
    expect(() => Ptree.get(tree, 'layers.0.weight.x')).toThrow(/is a tensor/);
    expect(Ptree.has(tree, 'layers.0.weight')).toBe(true);
    expect(Ptree.has(tree, 'layers.0.bias')).toBe(false);
  });

  it('getTensor gives a leaf typed as a tensor (no cast), and names what the path holds otherwise', () => {
    const tree = { layers: [{ weight: w }] };
    const t: nx.Tensor = Ptree.getTensor(tree, 'layers.0.weight');
    expect(t).toBe(w);
    expect(() => Ptree.getTensor(tree, 'layers.0')).toThrow(/^Ptree\.getTensor: 'layers\.0' is a dict, not a tensor \(its keys: weight\)$/);
    expect(() => Ptree.getTensor(tree, 'layers')).toThrow(/'layers' is a list, not a tensor \(its keys: 0\)/);
    expect(() => Ptree.getTensor(tree, 'layers.0.bias')).toThrow(/has no key 'bias'/);
  });

  it('rebuild checks the leaf count', () => {
    const { rebuild } = Ptree.flatten({ a: w, b });
    expect(() => rebuild([w])).toThrow(/expected 2 leaves, got 1/);
  });

  it('zerosLike keeps shapes and dtypes; sameStructure compares containers', () => {
    const i = nx.ones([3], 'int32');
    const z = Ptree.zerosLike({ a: [w, i] }) as { a: nx.Tensor[] };
    expect(z.a[0]!.shape).toEqual([2, 3]);
    expect(z.a[1]!.dtype).toBe('int32');
    expect(Array.from(z.a[1]!.dataSync())).toEqual([0, 0, 0]);
    expect(Ptree.sameStructure(z, { a: [b, b] })).toBe(true);
    expect(Ptree.sameStructure(z, { a: [b] })).toBe(false);
    expect(Ptree.sameStructure(z, { b: [b, b] })).toBe(false);
    Ptree.dispose([z, i]);
  });

  it('format lists paths, shapes, dtypes and counts', () => {
    const big = nx.zeros([128, 784]);
    const s = Ptree.format({ layers: [{ weight: big, bias: nx.zeros([128]) }] }, { title: 'MLP' });
    const lines = s.split('\n');
    expect(lines[0]).toBe('MLP: 2 tensors, 100,480 parameters');
    expect(lines[1]).toMatch(/^ {2}layers\.0\.weight +\[128, 784\] +float32 +100,352$/);
    expect(lines[2]).toMatch(/^ {2}layers\.0\.bias +\[128\] +float32 +128$/);
    expect(Ptree.format(w, { maxLeaves: 0 })).toBe('Tree: 1 tensor, 6 parameters\n  ... 1 more');
    big.dispose();
  });
});
