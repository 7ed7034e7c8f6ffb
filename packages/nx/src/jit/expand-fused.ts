/**
 * A rewrite of traced graphs for XLA: nx's fused ops (TensorFlow ops the native binding registers
 * itself, with CPU kernels only) replaced by the standard ops they fuse, which XLA can compile.
 *
 * `RavenAdamUpdate(grad, mu, nu, eps_hat, step_scale; N, b1, one_minus_b1, b2, one_minus_b2)` becomes
 * `mu * b1 + grad * one_minus_b1`, `nu * b2 + square(grad) * one_minus_b2` and
 * `new_mu / (sqrt(new_nu) + eps_hat) * step_scale` (what `nx.adamUpdate` computes elsewhere), with
 * `grad` the concatenation (axis 0) of its N row blocks when there are several.
 * `RavenAdamApply(grad, mu, nu, eps_hat, step_scale, param, lr_scale; ...)` becomes the same ops and
 * `param + update * lr_scale` (the `Mul` and `Add` it was folded from).
 * @module
 */
import { renameUses } from './graph-uses.js';
import { DT, type Attr, type NodeDef } from './proto.js';

const FLOAT: Attr = { kind: 'type', value: DT.float32 };

function floatConst(name: string, value: number): NodeDef {
  return { name, op: 'Const', inputs: [], attrs: { dtype: FLOAT, value: { kind: 'tensor', value: { dtype: DT.float32, shape: [], splat: value } } } };
}

function floatAttr(node: NodeDef, key: string): number {
  const a = node.attrs[key];
  if (a?.kind !== 'f') throw new Error(`nx.jit: ${node.op} node ${node.name} has no float attribute ${key}`);
  return a.value;
}

/** The standard ops of one `RavenAdamUpdate` or `RavenAdamApply` node, and where its three outputs now come from. */
function expandAdam(node: NodeDef): { nodes: NodeDef[]; outputs: [string, string, string] } {
  const apply = node.op === 'RavenAdamApply';
  const blocks = node.inputs.length - (apply ? 6 : 4);
  const [mu, nu, epsHat, stepScale, param, lrScale] = node.inputs.slice(blocks) as [string, string, string, string, string?, string?];
  const p = `${node.name}_adam`;
  const op = (suffix: string, type: string, inputs: string[]): NodeDef => ({ name: `${p}_${suffix}`, op: type, inputs, attrs: { T: FLOAT } });
  const joined: NodeDef[] = [
    { name: `${p}_grad_axis`, op: 'Const', inputs: [], attrs: { dtype: { kind: 'type', value: DT.int32 }, value: { kind: 'tensor', value: { dtype: DT.int32, shape: [], splat: 0 } } } },
    { name: `${p}_grad`, op: 'ConcatV2', inputs: [...node.inputs.slice(0, blocks), `${p}_grad_axis:0`], attrs: { T: FLOAT, N: { kind: 'i', value: blocks }, Tidx: { kind: 'type', value: DT.int32 } } },
  ];
  const grad = blocks === 1 ? node.inputs[0]! : `${p}_grad:0`;
  const nodes: NodeDef[] = [
    ...(blocks === 1 ? [] : joined),
    floatConst(`${p}_b1`, floatAttr(node, 'b1')),
    floatConst(`${p}_c1`, floatAttr(node, 'one_minus_b1')),
    floatConst(`${p}_b2`, floatAttr(node, 'b2')),
    floatConst(`${p}_c2`, floatAttr(node, 'one_minus_b2')),
    op('mu_decayed', 'Mul', [mu, `${p}_b1:0`]),
    op('grad_scaled', 'Mul', [grad, `${p}_c1:0`]),
    op('mu', 'AddV2', [`${p}_mu_decayed:0`, `${p}_grad_scaled:0`]),
    op('nu_decayed', 'Mul', [nu, `${p}_b2:0`]),
    op('grad_squared', 'Square', [grad]),
    op('grad_squared_scaled', 'Mul', [`${p}_grad_squared:0`, `${p}_c2:0`]),
    op('nu', 'AddV2', [`${p}_nu_decayed:0`, `${p}_grad_squared_scaled:0`]),
    op('root', 'Sqrt', [`${p}_nu:0`]),
    op('denominator', 'AddV2', [`${p}_root:0`, epsHat]),
    op('ratio', 'RealDiv', [`${p}_mu:0`, `${p}_denominator:0`]),
    op('update', 'Mul', [`${p}_ratio:0`, stepScale]),
  ];
  if (!apply) return { nodes, outputs: [`${p}_mu:0`, `${p}_nu:0`, `${p}_update:0`] };
  nodes.push(op('step', 'Mul', [`${p}_update:0`, lrScale!]), op('param', 'AddV2', [param!, `${p}_step:0`]));
  return { nodes, outputs: [`${p}_mu:0`, `${p}_nu:0`, `${p}_param:0`] };
}

/**
 * `nodes` and `outputNames` with every `RavenAdamUpdate` and `RavenAdamApply` replaced by the
 * standard ops it fuses and every use of its outputs renamed; unchanged when there is none.
 * @internal
 */
export function expandFusedOps(nodes: readonly NodeDef[], outputNames: readonly string[]): { nodes: NodeDef[]; outputNames: string[] } {
  const renamed = new Map<string, string>();
  const out: NodeDef[] = [];
  for (const node of nodes) {
    if (node.op !== 'RavenAdamUpdate' && node.op !== 'RavenAdamApply') {
      out.push(node);
      continue;
    }
    const e = expandAdam(node);
    out.push(...e.nodes);
    e.outputs.forEach((o, i) => renamed.set(`${node.name}:${i}`, o));
  }
  return renameUses(out, outputNames, renamed);
}
