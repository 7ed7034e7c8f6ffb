/**
 * The edge bookkeeping nx.jit's graph rewrites share (`jit/graph-uses.ts`), on a hand-made graph:
 * use counts with function outputs, the only user of an output, and renaming uses.
 */
import { describe, expect, it } from 'vitest';
import { graphUses, onlyUser, producerOf, renameUses } from '../../src/jit/graph-uses.js';
import type { NodeDef } from '../../src/jit/proto.js';

const node = (name: string, op: string, inputs: string[]): NodeDef => ({ name, op, inputs, attrs: {} });

// x -> a = Neg(x); b = Mul(a, a); c = Add(a, x); outputs: c, x
const graph = [node('x', 'Placeholder', []), node('a', 'Neg', ['x:0']), node('b', 'Mul', ['a:0', 'a:0']), node('c', 'AddV2', ['a:0', 'x:0'])];
const outputs = ['c:0', 'x:0'];

describe('graph uses', () => {
  it('names the node that makes an output', () => {
    expect(producerOf('a:0')).toBe('a');
    expect(producerOf('grad/split:1')).toBe('grad/split');
    expect(producerOf('a:b:12')).toBe('a:b');
    expect(producerOf('a')).toBeUndefined();
    expect(producerOf('^a')).toBeUndefined();
  });

  it('counts every input naming an output, and function outputs', () => {
    const uses = graphUses(graph, outputs);
    expect(Object.fromEntries(uses.count)).toEqual({ 'x:0': 3, 'a:0': 3, 'c:0': 1 });
    expect(uses.users.get('a:0')!.map((n) => n.name)).toEqual(['b', 'b', 'c']);
    expect(uses.users.has('c:0')).toBe(false); // used as a function output only
  });

  it('finds the only user of an output, none when used twice or returned', () => {
    const uses = graphUses(graph, outputs);
    expect(onlyUser(uses, 'a:0')).toBeUndefined(); // three uses
    expect(onlyUser(uses, 'c:0')).toBeUndefined(); // a function output, no node
    const chain = graphUses([node('p', 'Placeholder', []), node('q', 'Neg', ['p:0']), node('r', 'Neg', ['q:0'])], ['r:0']);
    expect(onlyUser(chain, 'q:0')?.name).toBe('r');
    expect(onlyUser(chain, 'p:0')?.name).toBe('q');
  });

  it('renames uses in nodes and outputs, keeping untouched nodes as they are', () => {
    const r = renameUses(graph, outputs, new Map([['a:0', 'x:0'], ['c:0', 'b:0']]));
    expect(r.nodes.map((n) => n.inputs)).toEqual([[], ['x:0'], ['x:0', 'x:0'], ['x:0', 'x:0']]);
    expect(r.outputNames).toEqual(['b:0', 'x:0']);
    expect(r.nodes[0]).toBe(graph[0]); // no renamed input: the same object
    expect(graph[2]!.inputs).toEqual(['a:0', 'a:0']); // the input graph is not changed
    const none = renameUses(graph, outputs, new Map());
    expect(none.nodes).toEqual(graph);
    expect(none.nodes).not.toBe(graph);
  });
});
