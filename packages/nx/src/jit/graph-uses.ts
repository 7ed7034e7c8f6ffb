/**
 * What the graph rewrites of `nx.jit` (`feedRowBlocks`, `foldParamUpdates`, `expandFusedOps`)
 * share about a traced graph's edges: which node makes an output, how often each output is used, by
 * which nodes, and renaming the uses of outputs that a rewrite replaced. Inputs and outputs are named
 * `node:index`; the function's outputs count as uses.
 * @module
 */
import type { NodeDef } from './proto.js';

/** The name of the node whose output `input` (`node:index`) is, or undefined for another form. @internal */
export function producerOf(input: string): string | undefined {
  return /^(.+):\d+$/.exec(input)?.[1];
}

/** Who uses each output of a graph. @internal */
export interface GraphUses {
  /** How many inputs of nodes, plus function outputs, name each `node:index`. */
  count: Map<string, number>;
  /** The nodes that take each `node:index` as an input (a node once per input naming it). */
  users: Map<string, NodeDef[]>;
}

/** The uses of every output of `nodes`, counting `outputNames` (the function's outputs) too. @internal */
export function graphUses(nodes: readonly NodeDef[], outputNames: readonly string[]): GraphUses {
  const count = new Map<string, number>();
  const users = new Map<string, NodeDef[]>();
  for (const n of nodes) {
    for (const input of n.inputs) {
      count.set(input, (count.get(input) ?? 0) + 1);
      const list = users.get(input);
      if (list === undefined) users.set(input, [n]);
      else list.push(n);
    }
  }
  for (const o of outputNames) count.set(o, (count.get(o) ?? 0) + 1);
  return { count, users };
}

/**
 * The node that uses output `input` and is its only use (not a function output, not two
 * inputs), or undefined. @internal
 */
export function onlyUser(uses: GraphUses, input: string): NodeDef | undefined {
  return uses.count.get(input) === 1 ? uses.users.get(input)?.[0] : undefined;
}

/**
 * `nodes` and `outputNames` with every input and output named in `renamed` replaced by what it
 * maps to (nodes that name none of them are kept as they are). @internal
 */
export function renameUses(nodes: readonly NodeDef[], outputNames: readonly string[], renamed: ReadonlyMap<string, string>): { nodes: NodeDef[]; outputNames: string[] } {
  if (renamed.size === 0) return { nodes: [...nodes], outputNames: [...outputNames] };
  const rename = (input: string): string => renamed.get(input) ?? input;
  return {
    nodes: nodes.map((n) => (n.inputs.some((i) => renamed.has(i)) ? { ...n, inputs: n.inputs.map(rename) } : n)),
    outputNames: outputNames.map(rename),
  };
}
