/**
 * `nx.jit`: capture a function of tensors once, run it as one TensorFlow graph.
 * @module
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_APPLY_OP, fusedOpRegistered } from '../backend/tensorflow-kernels.js';
import { TraceError, ValueError } from '../errors.js';
import { checkOptions, type OptionKeys } from '../options.js';
import { foldIn, split, type Key } from '../random/key.js';
import type { Tensor, TypedArray } from '../tensor.js';
import { setActiveTrace, activeTrace } from './hooks.js';
import { hostValueOf, knownHostValue, makeHostScalar, rememberHostValue } from './host.js';
import { handleOf, hasJit, nodeBackend, type HandleInfo, type JitBinding, type JitExtensions, type NodeBackend } from './native.js';
import { expandFusedOps } from './expand-fused.js';
import { encodeGraphDef } from './proto.js';
import { l2CacheBytes } from './split-products.js';
import { Trace, type HostDep, type TracedGraph } from './trace.js';
import { describeChange, flatten, outputsOf, type Flat } from './tree.js';

/** Options of {@link jit}. */
export interface JitOptions {
  /** The name in messages and in the registered TensorFlow function; default the function's name. */
  name?: string;
  /**
   * How many traces may be made: one per signature (shapes, dtypes, static arguments) and set of
   * host decisions ({@link hostStatic}); default 8. Every trace after the first prints one line
   * saying what changed; past the limit, calls that need a new trace run eagerly (with one
   * warning) instead.
   */
  maxTraces?: number;
  /** Compile the graph with XLA (TensorFlow's `jit_compile=True`); default false. */
  xla?: boolean;
}

const JIT_KEYS: OptionKeys<JitOptions> = { name: true, maxTraces: true, xla: true };

/** A jitted function: the function itself, plus what its cache holds. */
export interface Jitted<A extends unknown[], R> {
  /** Calls the function: traced on a new signature, the captured graph otherwise. */
  (...args: A): R;
  /**
   * Calls the function and returns a promise of its result. A call that runs a captured graph
   * runs it on a worker thread, so JavaScript goes on meanwhile (building the next batch, say);
   * the arguments may be disposed before the promise settles. Calls that trace, and calls on
   * backends without graphs, run as the plain call does and resolve at once.
   */
  callAsync(...args: A): Promise<R>;
  /** How many traces have been made so far (one per signature and set of host decisions). */
  readonly traces: number;
  /**
   * Frees the traced graphs and the tensors they captured; the next call traces again. A jitted
   * function that is garbage-collected frees them too.
   */
  dispose(): void;
}

interface Compiled {
  name: string;
  graph: TracedGraph;
  captured: readonly number[];
  rebuild: (ts: readonly Tensor[]) => unknown;
}

let nextId = 0;
let saidEager = false;
// a jitted function that is garbage-collected frees its graphs and captured tensors
const finalizer = new FinalizationRegistry<() => void>((free) => {
  try {
    free();
  } catch {
    // the backend is gone (the process is ending): nothing left to free
  }
});

function sayEagerOnce(reason: string): void {
  if (saidEager) return;
  saidEager = true;
  console.warn(`nx.jit: ${reason}; jitted functions run eagerly (same results, no graph). See the guide "Backends and performance".`);
}

function eagerReason(): string | undefined {
  const backend = nodeBackend();
  if (!backend) return `the ${tf.getBackend()} backend cannot run TensorFlow graphs: jit needs the native backend (tensorflow)`;
  if (!hasJit(backend.binding)) return 'the native binding was built without nx.jit\'s C++ (build it with `npx raven-nx-native install`)';
  return undefined;
}

let l2: number | undefined; // this machine's L2 cache, read once

/**
 * How traced graphs are rewritten for the CPU: matrix products split into the CPU's cores (at
 * most 4, see splitProducts), fused Adam updates folded into their parameters' updates when the
 * binding has the op (see foldParamUpdates); neither on a GPU.
 */
function graphRewrites(backend: NodeBackend): { parts: number; l2Bytes: number; foldUpdates: boolean } {
  if (backend.binding.isUsingGpuDevice()) return { parts: 1, l2Bytes: 0, foldUpdates: false };
  l2 ??= l2CacheBytes();
  return { parts: Math.min(4, availableParallelism()), l2Bytes: l2, foldUpdates: fusedOpRegistered(ADAM_APPLY_OP) };
}

function trace(where: string, backend: NodeBackend, fn: (...a: unknown[]) => unknown, args: unknown[], flat: Flat): { result: unknown; graph: TracedGraph; captured: readonly number[]; rebuild: Compiled['rebuild'] } {
  const t = new Trace(where, backend);
  t.addArguments(flat.tensors, flat.keys);
  const marker = tf.scalar(0);
  const firstNew = marker.id; // tensors with a smaller id existed before the trace
  marker.dispose();
  const orig = backend.binding;
  backend.binding = t.recording;
  const prev = setActiveTrace(t);
  try {
    const result = tf.tidy(() => {
      const r = fn(...args);
      if (r instanceof Promise) throw new TraceError(`${where}: the function returned a promise; a jitted function must be synchronous`);
      return r as tf.TensorContainer;
    });
    const outs = outputsOf(where, result);
    const graph = t.finish(outs.tensors, graphRewrites(backend));
    // as later calls do, return new tensors: copies of arguments, closed-over tensors and repeats
    const seen = new Set<tf.Tensor>();
    const fresh = outs.tensors.map((x) => {
      if (x.id >= firstNew && !seen.has(x)) {
        seen.add(x);
        return x;
      }
      const copy = tf.clone(x);
      const v = knownHostValue(x);
      if (v !== undefined) rememberHostValue(copy, v);
      return copy;
    });
    return { result: outs.rebuild(fresh), graph, captured: t.captured, rebuild: outs.rebuild };
  } catch (e) {
    for (const h of t.captured) orig.deleteTensor(h);
    throw e;
  } finally {
    backend.binding = orig;
    setActiveTrace(prev);
  }
}

function register(where: string, binding: JitBinding, name: string, graph: TracedGraph, xla: boolean): void {
  // XLA compiles standard ops only: nx's fused ops (CPU kernels of the binding) go back to them
  const { nodes, outputNames } = xla ? expandFusedOps(graph.nodes, graph.outputNames) : graph;
  const bytes = encodeGraphDef(nodes, binding.raven.jitGraphDefVersion());
  try {
    binding.raven.jitRegisterFunction(bytes, name, graph.inputNames, outputNames, xla);
  } catch (e) {
    throw new TraceError(`${where}: TensorFlow did not accept the traced graph (${graph.nodes.length} ops): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

function deriveKey(k: Key, path: Compiled['graph']['inputs'][number] & { kind: 'random' }): Key {
  let key = k;
  for (const step of path.path) key = 'split' in step ? split(key, step.split)[step.index]! : foldIn(key, step.foldIn);
  return key;
}

/** The values of a graph's host-scalar inputs for a call (host arithmetic only). */
function hostInputValues(graph: TracedGraph, flat: Flat): number[] {
  const values: number[] = [];
  graph.inputs.forEach((src, i) => {
    if (src.kind !== 'host') return;
    values[i] = src.f(...src.deps.map((d) => depValue(d, flat, values)));
  });
  return values;
}

function depValue(d: HostDep, flat: Flat, hostValues: readonly number[]): number {
  return 'arg' in d ? hostValueOf('nx.hostScalar', flat.tensors[d.arg]!) : 'input' in d ? hostValues[d.input]! : d.value;
}

/** The values the graph's host decisions (`nx.hostStatic`) take for a call. */
function guardValues(graph: TracedGraph, flat: Flat, hostValues: readonly number[]): Array<number | boolean | string> {
  return graph.guards.map((g) => g.f(...g.deps.map((d) => depValue(d, flat, hostValues))));
}

/**
 * The input handles of a call of `c`: arguments, captured tensors, and the random samples and
 * host scalars drawn for this call (new tensors, pushed on `temps`).
 */
function inputIds(backend: NodeBackend, c: Compiled, flat: Flat, hostValues: readonly number[], temps: Tensor[]): number[] {
  const { graph } = c;
  const ids: number[] = new Array(graph.inputs.length);
  for (const { arg, check } of graph.checks) check(flat.tensors[arg]!.dataSync() as TypedArray);
  graph.inputs.forEach((src, i) => {
    switch (src.kind) {
      case 'arg':
        ids[i] = handleOf(backend, flat.tensors[src.tensor]!);
        break;
      case 'capture':
        ids[i] = src.handle;
        break;
      case 'random': {
        const t = tf.tensor(src.draw(deriveKey(flat.keys[src.key]!, src)), src.shape, src.dtype);
        temps.push(t);
        ids[i] = handleOf(backend, t);
        break;
      }
      case 'host': {
        const t = makeHostScalar('nx.hostScalar', hostValues[i]!, src.dtype);
        temps.push(t);
        ids[i] = handleOf(backend, t);
        break;
      }
    }
  });
  return ids;
}

/** Host values the outputs of a call carry: host scalars passed through, and those of arguments passed through. */
function outputHostValues(c: Compiled, flat: Flat, hostValues: readonly number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [o, i] of c.graph.hostOutputs) out.push([o, hostValues[i]!]);
  for (const [o, a] of c.graph.passOutputs) {
    const v = knownHostValue(flat.tensors[a]!);
    if (v !== undefined) out.push([o, v]);
  }
  return out;
}

/** The call's result from the graph's outputs. */
function result(backend: NodeBackend, c: Compiled, infos: readonly HandleInfo[], hostOut: ReadonlyArray<[number, number]>): unknown {
  const outs = infos.map((info) => backend.createOutputTensor(info));
  for (const [o, v] of hostOut) rememberHostValue(outs[o]!, v);
  return c.rebuild(outs);
}

function run(backend: NodeBackend, c: Compiled, flat: Flat, hostValues: readonly number[]): unknown {
  const temps: Tensor[] = [];
  try {
    const ids = inputIds(backend, c, flat, hostValues, temps);
    const infos = backend.binding.executeOp(c.name, [], ids, c.graph.outputNames.length);
    return result(backend, c, infos, outputHostValues(c, flat, hostValues));
  } finally {
    for (const t of temps) t.dispose();
  }
}

/**
 * As {@link run}, with the graph running on a worker thread (`jitRunAsync`): the inputs are
 * referenced by the queued call, so this call's own temporaries are freed at once and the
 * caller may dispose its arguments before the promise settles.
 */
async function runAsync(backend: NodeBackend, c: Compiled, flat: Flat, hostValues: readonly number[], runOnWorker: NonNullable<JitExtensions['jitRunAsync']>): Promise<unknown> {
  const temps: Tensor[] = [];
  let pending: Promise<HandleInfo[]>;
  let hostOut: Array<[number, number]>;
  try {
    const ids = inputIds(backend, c, flat, hostValues, temps);
    hostOut = outputHostValues(c, flat, hostValues);
    pending = runOnWorker.call(backend.binding.raven, c.name, ids, c.graph.outputNames.length);
  } finally {
    for (const t of temps) t.dispose();
  }
  return result(backend, c, await pending, hostOut);
}

/**
 * Captures `fn` as one TensorFlow graph and returns a function with the same signature that runs
 * it in one call (as JAX's `jit`, TensorFlow's `tf.function`). On the native backend, the first
 * call with a given signature (the shapes and dtypes of its tensor arguments and the values of
 * its static ones) runs `fn` eagerly once while recording every TensorFlow op it executes,
 * gradients included; later calls with that signature run the recorded graph.
 *
 * Arguments and results are trees (arrays, plain objects) of tensors, random keys and static
 * values (numbers, strings, booleans, null, undefined; functions by identity). In the graph:
 * - tensor arguments are its inputs; tensors made from host data inside `fn` are constants;
 *   tensors `fn` closes over are captured as they are at trace time (pass what changes as an
 *   argument);
 * - random samples drawn from a key argument (or keys split or folded from it) are drawn again
 *   on the host at every call, so each call gets its own randomness;
 * - {@link hostScalar}s (step counts, learning-rate schedules) are recomputed on the host at every
 *   call, {@link hostCheck}s of arguments (label ranges) run before every call, and
 *   {@link hostStatic} decisions are part of the signature;
 * - reading a value that depends on the tensor arguments (`nx.item`, `nx.toArray`, a JS `if` on
 *   a value) is a {@link TraceError}: the graph cannot branch on it at trace time.
 *
 * On the wasm and cpu backends (and inside another trace or a gradient) `fn` runs eagerly; the
 * first such call prints once that jit needs the native backend.
 * @param fn - a synchronous function of trees of tensors, keys and static values.
 * @returns the jitted function, with `traces` and `dispose()`.
 * @throws ValueError for bad options; {@link TraceError} (at a call) when `fn` cannot be traced.
 * @example
 * ```ts
 * const f = nx.jit((x: nx.Tensor, w: nx.Tensor) => nx.sum(nx.matmul(x, w)));
 * const y = f(nx.ones([2, 3]), nx.ones([3, 4])); // traces on the native backend, runs eagerly elsewhere
 * console.log(nx.item(y)); // 24
 * ```
 */
export function jit<A extends unknown[], R>(fn: (...args: A) => R, options: JitOptions = {}): Jitted<A, R> {
  checkOptions('nx.jit', options, JIT_KEYS);
  if (typeof fn !== 'function') throw new ValueError('nx.jit: expected a function');
  const maxTraces = options.maxTraces ?? 8;
  if (!Number.isInteger(maxTraces) || maxTraces < 1) throw new ValueError(`nx.jit: maxTraces must be a positive integer, got ${String(maxTraces)}`);
  const label = options.name ?? (fn.name || 'fn');
  const where = `nx.jit(${label})`;
  const xla = options.xla ?? false;
  const cache = new Map<string, Compiled[]>(); // per signature, one graph per set of host decisions
  let traces = 0;
  let lastSignature: string[] | undefined;
  let saidFull = false;
  let backendOfCache: NodeBackend | undefined;

  let pending = 0; // asynchronous calls in flight
  const retired: Compiled[] = []; // disposed while calls were in flight: freed when they end
  const free = (): void => {
    const b = backendOfCache?.binding;
    for (const c of retired.splice(0)) {
      if (b && hasJit(b)) b.raven.jitRemoveFunction(c.name);
      for (const h of c.captured) b?.deleteTensor(h);
    }
  };
  const dispose = (): void => {
    retired.push(...[...cache.values()].flat());
    cache.clear();
    traces = 0;
    if (pending === 0) free();
  };

  /** What a call does: a result already computed (eagerly, or by tracing), or a graph to run. */
  type Plan = { value: R } | { backend: NodeBackend; c: Compiled; flat: Flat; hostValues: number[] };
  const plan = (args: A): Plan => {
    const reason = eagerReason();
    if (reason !== undefined) {
      sayEagerOnce(reason);
      return { value: fn(...args) };
    }
    // inside another trace the ops are recorded there; under a gradient tape they must run eagerly
    if (activeTrace() !== undefined || tf.engine().state.gradientDepth > 0) return { value: fn(...args) };
    const backend = nodeBackend()!;
    if (backendOfCache !== undefined && backendOfCache !== backend) dispose();
    backendOfCache = backend;
    const flat = flatten(where, args);
    const signature = flat.signature.join('\n');
    const known = cache.get(signature) ?? [];
    let decisions: string | undefined;
    for (const c of known) {
      const hostValues = hostInputValues(c.graph, flat);
      const values = guardValues(c.graph, flat, hostValues);
      if (values.every((v, i) => Object.is(v, c.graph.guards[i]!.value))) return { backend, c, flat, hostValues };
      decisions ??= `a host decision (nx.hostStatic) changed: ${JSON.stringify(c.graph.guards.map((g) => g.value))} -> ${JSON.stringify(values)}`;
    }
    const why = decisions ?? describeChange(lastSignature ?? [], flat.signature);
    if (traces >= maxTraces) {
      if (!saidFull) console.warn(`${where}: ${maxTraces} traces made (maxTraces); calls that need another run eagerly from now on (${why})`);
      saidFull = true;
      return { value: fn(...args) };
    }
    if (traces > 0) console.warn(`${where}: tracing again (trace ${traces + 1} of at most ${maxTraces}) because ${why}`);
    const t = trace(where, backend, fn as (...a: unknown[]) => unknown, args, flat);
    const name = `raven_jit_${nextId++}_${label.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40)}`;
    try {
      register(where, backend.binding as JitBinding, name, t.graph, xla);
    } catch (e) {
      for (const h of t.captured) backend.binding.deleteTensor(h);
      tf.dispose(t.result as tf.TensorContainer);
      throw e;
    }
    cache.set(signature, [...known, { name, graph: t.graph, captured: t.captured, rebuild: t.rebuild }]);
    traces++;
    lastSignature = flat.signature;
    return { value: t.result as R };
  };

  const call = (...args: A): R => {
    const p = plan(args);
    return 'value' in p ? p.value : run(p.backend, p.c, p.flat, p.hostValues) as R;
  };
  const callAsync = async (...args: A): Promise<R> => {
    const p = plan(args);
    if ('value' in p) return p.value;
    const onWorker = (p.backend.binding as JitBinding).raven.jitRunAsync;
    if (onWorker === undefined) return run(p.backend, p.c, p.flat, p.hostValues) as R; // a binding built before jitRunAsync
    pending++;
    try {
      return await runAsync(p.backend, p.c, p.flat, p.hostValues, onWorker) as R;
    } finally {
      pending--;
      if (pending === 0) free();
    }
  };
  finalizer.register(call, dispose);
  return Object.defineProperties(call, {
    traces: { get: () => traces },
    dispose: { value: dispose },
    callAsync: { value: callAsync },
  }) as Jitted<A, R>;
}
