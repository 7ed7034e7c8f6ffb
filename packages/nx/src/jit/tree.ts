/**
 * Arguments and results of jitted functions as trees: tensors, random keys and static values
 * (numbers, strings, booleans, null, undefined, functions) nested in arrays and plain objects.
 * Flattening gives the tensors, the keys and a signature string that identifies a trace.
 * Internal.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { TraceError } from '../errors.js';
import { Key } from '../random/key.js';
import type { Tensor } from '../tensor.js';

/** A flattened tree: its tensors and keys in order, the path of each, and its signature. */
export interface Flat {
  tensors: Tensor[];
  tensorPaths: string[];
  keys: Key[];
  /** One entry per leaf and container, in order; equal signatures trace to the same graph. */
  signature: string[];
}

const functionIds = new WeakMap<object, number>();
let nextFunctionId = 0;

function isPlainObject(v: object): boolean {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** Flattens `value` (the arguments, as an array) into tensors, keys and a signature. @internal */
export function flatten(where: string, value: unknown): Flat {
  const flat: Flat = { tensors: [], tensorPaths: [], keys: [], signature: [] };
  const walk = (v: unknown, path: string): void => {
    if (v instanceof tf.Tensor) {
      if (v.isDisposed) throw new TraceError(`${where}: argument ${path} is a disposed tensor`);
      flat.tensors.push(v);
      flat.tensorPaths.push(path);
      flat.signature.push(`${path}\u0001${v.dtype}[${v.shape.join(',')}]`);
    } else if (v instanceof Key) {
      flat.keys.push(v);
      flat.signature.push(`${path}\u0001key`);
    } else if (Array.isArray(v)) {
      flat.signature.push(`${path}\u0001array(${v.length})`);
      v.forEach((e, i) => walk(e, path === '' ? String(i) : `${path}.${i}`));
    } else if (typeof v === 'function') {
      if (!functionIds.has(v)) functionIds.set(v, nextFunctionId++);
      flat.signature.push(`${path}\u0001function#${functionIds.get(v)}`);
    } else if (v !== null && typeof v === 'object') {
      if (!isPlainObject(v)) {
        throw new TraceError(`${where}: argument ${path} is a ${v.constructor?.name ?? 'object'}; a jitted function takes tensors, random keys and static values (numbers, strings, booleans, null, undefined) in arrays and plain objects`);
      }
      const keys = Object.keys(v);
      flat.signature.push(`${path}\u0001object(${keys.map((k) => JSON.stringify(k)).join(',')})`);
      for (const k of keys) walk((v as Record<string, unknown>)[k], path === '' ? k : `${path}.${k}`);
    } else if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null || v === undefined) {
      flat.signature.push(`${path}\u0001${typeof v === 'number' && Object.is(v, -0) ? '-0' : JSON.stringify(v) ?? 'undefined'}`);
    } else {
      throw new TraceError(`${where}: argument ${path} is a ${typeof v}; a jitted function takes tensors, random keys and static values in arrays and plain objects`);
    }
  };
  walk(value, '');
  return flat;
}

const SLOT = Symbol('tensor');

/**
 * The leaves of a result tree that are tensors, in order, and a function rebuilding the tree
 * with other tensors in their places (static leaves are kept; the containers are copied, so
 * later changes to the returned tree do not change the template). @internal
 */
export function outputsOf(where: string, value: unknown): { tensors: Tensor[]; rebuild: (ts: readonly Tensor[]) => unknown } {
  const tensors: Tensor[] = [];
  const skeleton = (v: unknown): unknown => {
    if (v instanceof tf.Tensor) {
      tensors.push(v);
      return SLOT;
    }
    if (Array.isArray(v)) return v.map(skeleton);
    if (v !== null && typeof v === 'object' && !(v instanceof Key)) {
      if (!isPlainObject(v)) throw new TraceError(`${where}: the function returned a ${v.constructor?.name ?? 'object'}; return tensors and static values in arrays and plain objects`);
      return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, skeleton(e)]));
    }
    return v;
  };
  const template = skeleton(value);
  const rebuild = (ts: readonly Tensor[]): unknown => {
    let i = 0;
    const build = (v: unknown): unknown => {
      if (v === SLOT) return ts[i++];
      if (Array.isArray(v)) return v.map(build);
      if (v !== null && typeof v === 'object' && !(v instanceof Key)) return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, build(e)]));
      return v;
    };
    return build(template);
  };
  return { tensors, rebuild };
}

/** Says how two signatures differ, for the retracing warning (first few differences). @internal */
export function describeChange(before: readonly string[], after: readonly string[]): string {
  const a = new Map(before.map((s) => split(s)));
  const b = new Map(after.map((s) => split(s)));
  const changes: string[] = [];
  for (const [path, v] of b) {
    const old = a.get(path);
    if (old === undefined) changes.push(`${label(path)} is new (${v})`);
    else if (old !== v) changes.push(`${label(path)}: ${old} -> ${v}`);
  }
  for (const path of a.keys()) if (!b.has(path)) changes.push(`${label(path)} is gone`);
  if (changes.length === 0) return 'the arguments changed';
  return changes.slice(0, 3).join('; ') + (changes.length > 3 ? `; and ${changes.length - 3} more` : '');
}

function split(s: string): [string, string] {
  const i = s.indexOf('\u0001');
  return [s.slice(0, i), s.slice(i + 1)];
}

function label(path: string): string {
  return path === '' ? 'the arguments' : `argument ${path}`;
}
