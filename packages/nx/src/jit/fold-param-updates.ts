/**
 * A rewrite of traced graphs: a fused Adam update whose step direction only goes, scaled by a
 * scalar (the learning rate, negated), into a sum with a tensor of the parameter's shape (the
 * parameter: `Optim.applyUpdates`) becomes one `RavenAdamApply`, which writes the new parameter
 * directly. The values are the same bit for bit (the kernel rounds the product, then the sum, as
 * the `Mul` and `Add` kernels did); the step saves two kernels per parameter, each a whole pass
 * over the tensor (for the MNIST MLP's 128x784 weight, its `Add` alone took 110 to 160 us of a
 * step of about 900 us, `bench:jit-profile`).
 *
 * An optimizer stays a chain of separate transforms (Optax's design): only the traced graph sees
 * that `scaleByAdam`, `scaleByLearningRate` and `applyUpdates` follow one another. Anything else
 * between them, or another use of the update or of the scaled update, leaves the graph as it is.
 * @module
 */
import { graphUses, onlyUser, producerOf, renameUses } from './graph-uses.js';
import type { NodeDef } from './proto.js';
import type { ShapeOf } from './split-products.js';

const ADD_OPS = new Set(['Add', 'AddV2']);

const sameShape = (a: readonly number[] | undefined, b: readonly number[] | undefined): boolean =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * `nodes` with each `RavenAdamUpdate` whose update output feeds only a `Mul` by a scalar, whose
 * result feeds only an `Add`/`AddV2` with a tensor of the update's shape (the scalar and that
 * tensor made before the update, or constants or arguments), replaced by a
 * `RavenAdamApply` (same name, same gradient, moments and attributes, plus that tensor and the
 * scalar) and the `Mul` and `Add` removed; uses of the sum (nodes and `outputNames`) now name the
 * fused node's third output. Float32 only (the fused ops' type), shapes from `shapeOf`.
 * @internal
 */
export function foldParamUpdates(nodes: readonly NodeDef[], outputNames: readonly string[], shapeOf: ShapeOf): { nodes: NodeDef[]; outputNames: string[] } {
  const uses = graphUses(nodes, outputNames);

  // an input the fused node may take: made before the update (or a constant or an argument), so
  // it cannot depend on the update's own outputs (the graph stays acyclic)
  const position = new Map(nodes.map((n, i) => [n.name, i]));
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const before = (input: string, at: number): boolean => {
    const producer = producerOf(input);
    const n = producer === undefined ? undefined : byName.get(producer);
    return n !== undefined && (n.op === 'Const' || n.op === 'Placeholder' || position.get(n.name)! < at);
  };
  const replaced = new Map<string, NodeDef>();
  const dropped = new Set<string>();
  const renamed = new Map<string, string>();
  for (const [at, adam] of nodes.entries()) {
    if (adam.op !== 'RavenAdamUpdate') continue;
    const update = `${adam.name}:2`;
    const mu = adam.inputs[adam.inputs.length - 4]!;
    const shape = shapeOf(mu);
    const mul = onlyUser(uses, update);
    if (shape === undefined || mul?.op !== 'Mul' || mul.inputs.length !== 2) continue;
    const scale = mul.inputs[0] === update ? mul.inputs[1]! : mul.inputs[0]!;
    if (!sameShape(shapeOf(scale), [])) continue;
    const add = onlyUser(uses, `${mul.name}:0`);
    if (add === undefined || !ADD_OPS.has(add.op) || add.inputs.length !== 2) continue;
    const param = add.inputs[0] === `${mul.name}:0` ? add.inputs[1]! : add.inputs[0]!;
    if (!sameShape(shapeOf(param), shape) || !before(param, at) || !before(scale, at)) continue;
    replaced.set(adam.name, { ...adam, op: 'RavenAdamApply', inputs: [...adam.inputs, param, scale] });
    dropped.add(mul.name).add(add.name);
    renamed.set(`${add.name}:0`, `${adam.name}:2`);
  }
  if (replaced.size === 0) return { nodes: [...nodes], outputNames: [...outputNames] };
  return renameUses(nodes.filter((n) => !dropped.has(n.name)).map((n) => replaced.get(n.name) ?? n), outputNames, renamed);
}
