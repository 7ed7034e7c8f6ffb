/**
 * A rewrite of traced graphs after `splitProducts`: a weight gradient computed as row blocks
 * (a split product) that only feeds nx's fused Adam update goes to it as those blocks
 * (`RavenAdamUpdate` with `N` > 1 gradient inputs), so the blocks are never concatenated. The
 * concatenation copies the whole gradient once more on the step's critical path (100 to 150 us
 * for an MNIST MLP's 128x784 weight on the 2-core build machine, `bench:jit-profile`).
 * @module
 */
import { graphUses, producerOf } from './graph-uses.js';
import type { NodeDef } from './proto.js';
import { rowBlocksOf } from './split-products.js';

/**
 * `nodes` with every `RavenAdamUpdate` whose one gradient input is a split product's
 * concatenation used nowhere else (no other node, not a function output) given the row blocks
 * instead, and those concatenations removed.
 * @internal
 */
export function feedRowBlocks(nodes: readonly NodeDef[], outputNames: readonly string[]): NodeDef[] {
  const uses = graphUses(nodes, outputNames).count;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const dropped = new Set<string>();
  const fed = new Map<string, NodeDef>();
  for (const node of nodes) {
    if (node.op !== 'RavenAdamUpdate' || node.inputs.length !== 5 || uses.get(node.inputs[0]!) !== 1) continue;
    const producer = producerOf(node.inputs[0]!);
    const concat = producer === undefined ? undefined : byName.get(producer);
    const blocks = concat ? rowBlocksOf(concat) : undefined;
    if (concat === undefined || blocks === undefined) continue;
    fed.set(node.name, { ...node, inputs: [...blocks, ...node.inputs.slice(1)], attrs: { ...node.attrs, N: { kind: 'i', value: blocks.length } } });
    dropped.add(concat.name).add(`${concat.name}_concat_axis`);
  }
  if (fed.size === 0) return [...nodes];
  return nodes.filter((n) => !dropped.has(n.name)).map((n) => fed.get(n.name) ?? n);
}
