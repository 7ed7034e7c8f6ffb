/**
 * Recording a function's TensorFlow ops: while a {@link Trace} is installed, every op the native
 * backend executes, every tensor it makes from host data and every host read passes through it.
 * Tensor arguments become placeholders, host data constants, tensors made before the trace
 * (closed over) captured inputs, samples drawn from keys passed in and host scalars inputs
 * recomputed at each call. Internal to `nx.jit`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { TraceError } from '../errors.js';
import type { Key } from '../random/key.js';
import type { Tensor, TypedArray } from '../tensor.js';
import type { KeyStep, TraceHooks } from './hooks.js';
import { checkStatic, hostValueOf, makeHostScalar } from './host.js';
import { handleOf, type Binding, type HandleInfo, type NodeBackend, type OpAttr } from './native.js';
import { DT, type Attr, type NodeDef } from './proto.js';
import { foldParamUpdates } from './fold-param-updates.js';
import { feedRowBlocks } from './split-gradients.js';
import { splitProducts } from './split-products.js';

/** An output of a recorded node. */
interface Ref {
  node: number;
  index: number;
}

interface Node {
  def: NodeDef;
  /** Whether the value depends on the function's tensor arguments. */
  traced: boolean;
  outputs: Array<{ dtype: number; shape: number[] }>;
}

/** Where the value of a scalar that {@link hostScalar} computes comes from, per input. */
export type HostDep = { arg: number } | { input: number } | { value: number };

/** Where each input of the graph comes from at call time. */
export type InputSource =
  | { kind: 'arg'; tensor: number }
  | { kind: 'capture'; handle: number }
  | { kind: 'random'; key: number; path: KeyStep[]; draw: (k: Key) => TypedArray; shape: number[]; dtype: tf.DataType }
  | { kind: 'host'; deps: HostDep[]; f: (...v: number[]) => number; dtype: 'float32' | 'int32' };

/** A finished trace: the graph's nodes, inputs and outputs, ready to be registered. */
export interface TracedGraph {
  nodes: NodeDef[];
  /** `node:index` of each input placeholder, in the order the function takes them. */
  inputNames: string[];
  inputs: InputSource[];
  /** `node:index` of each output. */
  outputNames: string[];
  /** For outputs that pass a host scalar through: output index -> input index. */
  hostOutputs: Map<number, number>;
  /** Checks of tensor arguments to run on the host before every call. */
  checks: Array<{ arg: number; check: (values: TypedArray) => void }>;
  /** Host decisions the graph was traced with: it is valid for a call whose inputs give the same. */
  guards: Guard[];
  /** For outputs that pass a tensor argument through: output index -> argument index. */
  passOutputs: Map<number, number>;
}

/** A host decision of the trace (`nx.hostStatic`): its inputs and the value it had. */
export interface Guard {
  deps: HostDep[];
  f: (...v: number[]) => number | boolean | string;
  value: number | boolean | string;
}

const DTYPE_OF: Record<string, number> = { float32: DT.float32, int32: DT.int32, bool: DT.bool };

/** The data of a constant: one repeated value (zeros, ones, fills) or a copy of the bytes. */
function constData(dtype: number, values: TypedArray): { content?: Uint8Array; splat?: number } {
  const n = values.length;
  if (n > 1 && dtype !== DT.int64) {
    // compare bit patterns (so -0 and NaN payloads count as different values)
    const words = values instanceof Float32Array ? new Uint32Array(values.buffer, values.byteOffset, n) : values;
    const first = words[0]!;
    let same = true;
    for (let i = 1; i < n && same; i++) same = words[i] === first;
    if (same) return { splat: values[0]! };
  }
  return { content: new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice() };
}

/** The read that reached the binding, from the stack: nx's readers first, then TF.js's methods. */
function readerName(stack: string | undefined): string {
  const s = stack ?? '';
  const nxRead = /at (?:Object\.|Module\.)?(item|toArray|toTypedArray|format) /.exec(s);
  if (nxRead) return `nx.${nxRead[1]!}`;
  const tfRead = /at Tensor\.(dataSync|arraySync|data|array|bufferSync|buffer) /.exec(s);
  return tfRead ? `tensor.${tfRead[1]!}()` : 'a host read';
}

/** The recorder. One per trace; installed as the backend's binding while the function runs. */
export class Trace implements TraceHooks {
  readonly #backend: NodeBackend;
  readonly #orig: Binding;
  readonly #where: string;
  #nodes: Node[] = [];
  #handles = new Map<number, Ref>();
  #inputs: Array<{ ref: Ref; source: InputSource }> = [];
  #argInput = new Map<number, number>(); // placeholder node -> index of the tensor argument
  #hostInput = new Map<number, { input: number; value: number }>(); // placeholder node -> host input
  #keys = new WeakMap<Key, { key: number; path: KeyStep[] }>();
  #captured: number[] = [];
  #checks: TracedGraph['checks'] = [];
  #guards: Guard[] = [];
  readonly recording: Binding;

  constructor(where: string, backend: NodeBackend) {
    this.#where = where;
    this.#backend = backend;
    this.#orig = backend.binding;
    const orig = this.#orig;
    // the binding's own properties are read-only: shadow them with properties of a derived object
    const executeOp: Binding['executeOp'] = (name, attrs, ids, n) => {
      const refs = ids.map((id) => this.#refOf(id));
      const out = orig.executeOp(name, attrs, ids, n);
      const traced = refs.some((r) => this.#nodes[r.node]!.traced);
      const typed = withInferredTypes(name, this.#attrs(name, attrs), refs.map((r) => this.#nodes[r.node]!.outputs[r.index]!.dtype));
      const node = this.#add({ name: '', op: name, inputs: refs.map(refName), attrs: typed }, traced, out);
      out.forEach((o, i) => this.#handles.set(o.id, { node, index: i }));
      return out;
    };
    const createTensor: Binding['createTensor'] = (shape, dtype, values) => {
      const id = orig.createTensor(shape, dtype, values);
      if (Array.isArray(values)) throw new TraceError(`${this.#where}: string tensors cannot be traced`);
      const node = this.#constant(dtype, shape, constData(dtype, values as TypedArray));
      this.#handles.set(id, { node, index: 0 });
      return id;
    };
    const tensorDataSync: Binding['tensorDataSync'] = (id) => {
      const ref = this.#handles.get(id);
      // kernels of the backend may read their inputs to validate them (GatherV2 checks indices)
      if (ref && this.#nodes[ref.node]!.traced && tf.engine().state.kernelDepth === 0) throw this.#hostReadError(ref);
      return orig.tensorDataSync(id);
    };
    this.recording = Object.create(orig, {
      executeOp: { value: executeOp },
      createTensor: { value: createTensor },
      tensorDataSync: { value: tensorDataSync },
    }) as Binding;
  }

  /** Handles the trace made to hold tensors closed over by the function (free them with the graph). */
  get captured(): readonly number[] {
    return this.#captured;
  }

  #add(def: NodeDef, traced: boolean, outputs: Array<Pick<HandleInfo, 'dtype' | 'shape'>>): number {
    const index = this.#nodes.length;
    def.name = `n${index}`;
    this.#nodes.push({ def, traced, outputs: outputs.map((o) => ({ dtype: o.dtype, shape: [...o.shape] })) });
    return index;
  }

  #constant(dtype: number, shape: number[], data: { content?: Uint8Array; splat?: number }): number {
    return this.#add({ name: '', op: 'Const', inputs: [], attrs: {
      dtype: { kind: 'type', value: dtype },
      value: { kind: 'tensor', value: { dtype, shape: [...shape], ...data } },
    } }, false, [{ dtype, shape }]);
  }

  #placeholder(dtype: number, shape: number[], source: InputSource, traced: boolean): number {
    const node = this.#add({ name: '', op: 'Placeholder', inputs: [], attrs: {
      dtype: { kind: 'type', value: dtype },
      shape: { kind: 'shape', value: [...shape] },
    } }, traced, [{ dtype, shape }]);
    this.#inputs.push({ ref: { node, index: 0 }, source });
    return node;
  }

  /** Turns the constant a host tensor was recorded as into an input drawn at each call. */
  #toInput(t: Tensor, source: InputSource): number {
    const id = handleOf(this.#backend, t);
    const ref = this.#handles.get(id);
    const dtype = DTYPE_OF[t.dtype]!;
    const node = this.#placeholder(dtype, t.shape, source, true);
    this.#handles.set(id, { node, index: 0 });
    if (ref && this.#nodes[ref.node]!.def.op === 'Const') this.#nodes[ref.node]!.def.op = 'NoOp'; // dropped below
    return node;
  }

  #refOf(id: number): Ref {
    const ref = this.#handles.get(id);
    if (ref) return ref;
    // a tensor made before the trace and closed over: captured by reference (an alias handle
    // of the same buffer, held as long as the graph), so it is neither copied nor baked in
    const [alias] = this.#orig.executeOp('Identity', [], [id], 1) as [HandleInfo];
    this.#captured.push(alias.id);
    const node = this.#placeholder(alias.dtype, alias.shape, { kind: 'capture', handle: alias.id }, false);
    const r = { node, index: 0 };
    this.#handles.set(id, r);
    return r;
  }

  #attrs(op: string, attrs: OpAttr[]): Record<string, Attr> {
    const b = this.#orig;
    const out: Record<string, Attr> = {};
    for (const a of attrs) {
      const v = a.value;
      const list = Array.isArray(v);
      let attr: Attr;
      if (a.type === b.TF_ATTR_STRING) attr = { kind: 's', value: String(v) };
      else if (a.type === b.TF_ATTR_INT) attr = list ? { kind: 'list-i', value: v as number[] } : { kind: 'i', value: v as number };
      else if (a.type === b.TF_ATTR_FLOAT) attr = list ? { kind: 'list-f', value: v as number[] } : { kind: 'f', value: v as number };
      else if (a.type === b.TF_ATTR_BOOL) attr = list ? { kind: 'list-b', value: v as boolean[] } : { kind: 'b', value: v as boolean };
      else if (a.type === b.TF_ATTR_TYPE) attr = list ? { kind: 'list-type', value: v as number[] } : { kind: 'type', value: v as number };
      else if (a.type === b.TF_ATTR_SHAPE) attr = { kind: 'shape', value: v as number[] };
      else throw new TraceError(`${this.#where}: op ${op} has attribute ${a.name} of a type the trace does not know (${a.type})`);
      out[a.name] = attr;
    }
    return out;
  }

  #producer(ref: Ref): string {
    const n = this.#nodes[ref.node]!;
    return n.def.op === 'Placeholder' ? 'an argument of the function' : `the op ${n.def.op}`;
  }

  #hostReadError(ref: Ref): TraceError {
    const reader = readerName(new Error().stack);
    return new TraceError(
      `${this.#where}: the traced function reads a tensor's value on the host (${reader}), but that value ` +
        `(computed by ${this.#producer(ref)}) depends on the function's tensor arguments. While tracing, the ` +
        'function runs once to record its TensorFlow ops; a value read then would be baked into the graph and be ' +
        'wrong at the next call. Keep the computation on tensors (nx.where instead of a JS if), read results ' +
        'after the jitted function returns, or pass the value as a static (non-tensor) argument.',
    );
  }

  /** Adds the function's tensor arguments as placeholders and its keys as roots of random inputs. */
  addArguments(tensors: readonly Tensor[], keys: readonly Key[]): void {
    tensors.forEach((t, i) => {
      const id = handleOf(this.#backend, t);
      const node = this.#placeholder(DTYPE_OF[t.dtype]!, t.shape, { kind: 'arg', tensor: i }, true);
      this.#argInput.set(node, i);
      if (!this.#handles.has(id)) this.#handles.set(id, { node, index: 0 });
    });
    keys.forEach((k, i) => {
      if (!this.#keys.has(k)) this.#keys.set(k, { key: i, path: [] });
    });
  }

  keyDerived(parent: Key, child: Key, step: KeyStep): void {
    const o = this.#keys.get(parent);
    if (o) this.#keys.set(child, { key: o.key, path: [...o.path, step] });
  }

  isTracedKey(key: Key): boolean {
    return this.#keys.has(key);
  }

  randomTensor(t: Tensor, key: Key, draw: (k: Key) => TypedArray): void {
    const o = this.#keys.get(key);
    if (!o) return;
    this.#toInput(t, { kind: 'random', key: o.key, path: o.path, draw, shape: [...t.shape], dtype: t.dtype });
  }

  isTraced(t: Tensor): boolean {
    const info = this.#backend.tensorMap.get(t.dataId);
    if (!info || info.values != null) return false;
    const ref = this.#handles.get(info.id);
    return ref !== undefined && this.#nodes[ref.node]!.traced;
  }

  hostScalar(inputs: readonly Tensor[], f: (...values: number[]) => number, dtype: 'float32' | 'int32'): Tensor {
    const where = 'nx.hostScalar';
    const { deps, values } = this.#hostDeps(where, inputs);
    const value = f(...values);
    const t = makeHostScalar(where, value, dtype);
    const input = this.#inputs.length;
    const node = this.#toInput(t, { kind: 'host', deps, f, dtype });
    this.#hostInput.set(node, { input, value });
    return t;
  }

  hostStatic<T extends number | boolean | string>(inputs: readonly Tensor[], f: (...values: number[]) => T): T {
    const where = 'nx.hostStatic';
    const { deps, values } = this.#hostDeps(where, inputs);
    const value = checkStatic(where, f(...values));
    if (deps.some((d) => !('value' in d))) this.#guards.push({ deps, f, value });
    return value;
  }

  /** Where the host values of `inputs` come from at each call, and their values now. */
  #hostDeps(where: string, inputs: readonly Tensor[]): { deps: HostDep[]; values: number[] } {
    const deps: HostDep[] = [];
    const values: number[] = [];
    inputs.forEach((t, i) => {
      const value = hostValueOf(where, t, (x) => Number(this.#orig.tensorDataSync(handleOf(this.#backend, x))[0]));
      const ref = this.#handles.get(handleOf(this.#backend, t));
      const node = ref ? this.#nodes[ref.node]! : undefined;
      if (ref && this.#argInput.has(ref.node)) deps.push({ arg: this.#argInput.get(ref.node)! });
      else if (ref && this.#hostInput.has(ref.node)) deps.push({ input: this.#hostInput.get(ref.node)!.input });
      else if (!node || !node.traced) deps.push({ value });
      else {
        throw new TraceError(`${where}: input ${i} is computed inside the traced function (by ${this.#producer(ref!)}), so the host does not know its value at each call; compute it from the function's arguments or from other host scalars`);
      }
      values.push(value);
    });
    return { deps, values };
  }

  hostCheck(t: Tensor, check: (values: TypedArray) => void): boolean {
    const id = handleOf(this.#backend, t);
    const ref = this.#handles.get(id);
    const values = (): TypedArray => this.#orig.tensorDataSync(id) as TypedArray;
    if (!ref || !this.#nodes[ref.node]!.traced) {
      check(values());
      return true;
    }
    const arg = this.#argInput.get(ref.node);
    if (arg === undefined) return false; // computed inside the function: unknown before the graph runs
    check(values());
    this.#checks.push({ arg, check });
    return false;
  }

  /**
   * The graph of the recorded ops from the inputs to `outputs`, unused ops left out; with
   * `split.parts` of 2 or more, the matrix products oneDNN would run on one thread split by rows
   * into that many (see {@link splitProducts}), their blocks fed to fused Adam updates unjoined
   * where possible (see {@link feedRowBlocks}); with `split.foldUpdates`, fused Adam updates
   * applied to their parameters as one op (see {@link foldParamUpdates}).
   */
  finish(outputs: readonly Tensor[], split: { parts: number; l2Bytes: number; foldUpdates?: boolean } = { parts: 1, l2Bytes: 0 }): TracedGraph {
    const refs = outputs.map((t) => this.#refOf(handleOf(this.#backend, t)));
    const hostOutputs = new Map<number, number>();
    const passOutputs = new Map<number, number>();
    const seen = new Set<string>();
    const outRefs = refs.map((r, i) => {
      const node = this.#nodes[r.node]!;
      const host = this.#hostInput.get(r.node);
      if (host) hostOutputs.set(i, host.input);
      const arg = this.#argInput.get(r.node);
      if (arg !== undefined) passOutputs.set(i, arg);
      // a function output must be produced by an op of its body, once: pass inputs and repeats through Identity
      if (node.def.op !== 'Placeholder' && !seen.has(refName(r))) {
        seen.add(refName(r));
        return r;
      }
      const id = this.#add({ name: '', op: 'Identity', inputs: [refName(r)], attrs: { T: { kind: 'type', value: node.outputs[r.index]!.dtype } } }, node.traced, [node.outputs[r.index]!]);
      return { node: id, index: 0 };
    });
    // keep the ops the outputs need, and every input (the function's signature)
    const keep = new Set<number>();
    const stack = outRefs.map((r) => r.node);
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (keep.has(n)) continue;
      keep.add(n);
      for (const i of this.#nodes[n]!.def.inputs) stack.push(Number(i.slice(1, i.indexOf(':'))));
    }
    for (const { ref } of this.#inputs) keep.add(ref.node);
    const kept = this.#nodes.filter((n, i) => keep.has(i) && n.def.op !== 'NoOp').map((n) => n.def);
    const shapeOf = (input: string): readonly number[] | undefined => {
      const m = /^n(\d+):(\d+)$/.exec(input);
      return m ? this.#nodes[Number(m[1])]?.outputs[Number(m[2])]?.shape : undefined;
    };
    const fed = feedRowBlocks(splitProducts(kept, shapeOf, split.parts, split.l2Bytes), outRefs.map(refName));
    const { nodes, outputNames } = split.foldUpdates === true ? foldParamUpdates(fed, outRefs.map(refName), shapeOf) : { nodes: fed, outputNames: outRefs.map(refName) };
    return {
      nodes,
      inputNames: this.#inputs.map(({ ref }) => refName(ref)),
      inputs: this.#inputs.map(({ source }) => source),
      outputNames,
      hostOutputs,
      checks: this.#checks,
      guards: this.#guards,
      passOutputs,
    };
  }
}

/**
 * Type attributes an op needs in a graph that tfjs-node leaves for eager execution to infer from
 * the inputs: its `ExpandDims` kernel passes none (`T`, `Tdim`), which a GraphDef must state.
 */
const INFERRED_TYPES: Record<string, string[]> = { ExpandDims: ['T', 'Tdim'] };

function withInferredTypes(op: string, attrs: Record<string, Attr>, inputDtypes: readonly number[]): Record<string, Attr> {
  const names = INFERRED_TYPES[op];
  if (names === undefined || names.every((n) => n in attrs)) return attrs;
  const out = { ...attrs };
  names.forEach((n, i) => { if (!(n in out) && inputDtypes[i] !== undefined) out[n] = { kind: 'type', value: inputDtypes[i]! }; });
  return out;
}

function refName(r: Ref): string {
  return `n${r.node}:${r.index}`;
}
