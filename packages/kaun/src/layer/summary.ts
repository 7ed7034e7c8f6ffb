/**
 * `Layer.summary`: a table of a model's parts with their output shapes and parameter counts
 * (Keras' `model.summary()`, torchinfo's `summary`).
 * @module
 */
import * as nx from '@raven/nx';
import { LayerError } from '../errors.js';
import * as Ptree from '../ptree/index.js';
import type { Tree } from '../ptree/index.js';
import type { Layer, Vars } from './layer.js';
import { applyChild, withTracer } from './trace.js';

/** Options of {@link summary}. */
export interface SummaryOptions<In> {
  /** The input to run the model on once (a tensor, or what the model takes, e.g. BERT's `{inputIds}`). Give this or `inputShape`. */
  input?: In;
  /** The shape of a zeros input tensor (with its batch axis), e.g. `[1, 784]`; with `dtype`. */
  inputShape?: number[];
  /** The dtype of the zeros input; default `'float32'` (use `'int32'` for token ids). */
  dtype?: nx.DType;
  /** The variables; default fresh ones from `model.init({ key: nx.random.key(0) })` (freed afterwards). */
  vars?: Vars;
  /** Which parameters train, by path (e.g. the `frozen` rule of `Optim.freeze`, negated); the others count as non-trainable. Default all. */
  trainable?: (path: string) => boolean;
  /** Nesting levels shown (the model itself is level 0); default 3. */
  depth?: number;
}

const KEYS: nx.OptionKeys<SummaryOptions<unknown>> = { input: true, inputShape: true, dtype: true, vars: true, trainable: true, depth: true };

/** One row of a {@link ModelSummary}: a layer, as it was applied. */
export interface SummaryRow {
  /** Its path in the parameter tree (`''` for the model, `encoder.layer.0`). */
  path: string;
  /** Its name in its parent (`layer.0`), as given to `Layer.applyChild`. */
  name: string;
  /** The nesting level (0 for the model). */
  depth: number;
  /** The layer's `kind` (`'linear'`, `'sequential'`, `'Bert.layer'`), or `'layer'`. */
  kind: string;
  /** The output shape(s), e.g. `[1, 128]` or `{ lastHiddenState: [1, 8, 32], poolerOutput: [1, 32] }`. */
  output: string;
  /** Parameters (trainable and not) and state elements of the layer, its children included. */
  params: number;
  /** Of which trainable. */
  trainable: number;
  /** How many times it was applied (more than 1 for shared layers). */
  calls: number;
}

/** What {@link summary} returns. */
export interface ModelSummary {
  /** The layers, in the order they were first applied. */
  rows: SummaryRow[];
  /** All parameter and state elements (shared ones once). */
  total: number;
  /** Trainable parameters. */
  trainable: number;
  /** Non-trainable: the state (batch-norm statistics) and parameters `trainable` excludes. */
  nonTrainable: number;
  /** Bytes of all of them. */
  bytes: number;
  /** The table, as Keras prints it. */
  text: string;
}

function describeOutput(y: unknown, depth = 0): string {
  if (nx.isTensor(y)) return `[${y.shape.join(', ')}]`;
  if (depth > 3 || y === null || typeof y !== 'object') return typeof y;
  if (Array.isArray(y)) return `[${y.map((e) => describeOutput(e, depth + 1)).join(', ')}]`;
  return `{ ${Object.entries(y).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}: ${describeOutput(v, depth + 1)}`).join(', ')} }`;
}

function count(tree: Tree, prefix: string, trainable: (path: string) => boolean): { all: number; trainable: number; bytes: number } {
  let all = 0;
  let tr = 0;
  let bytes = 0;
  for (const [p, t] of Ptree.flattenWithPaths(tree)) {
    all += t.size;
    bytes += t.size * (t.dtype === 'bool' ? 1 : 4);
    if (trainable(prefix === '' ? p : p === '' ? prefix : `${prefix}.${p}`)) tr += t.size;
  }
  return { all, trainable: tr, bytes };
}

const fmtInt = (n: number) => n.toLocaleString('en-US');

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(2)} ${units[i]}`;
}

/**
 * Summarises a model as Keras' `model.summary()` does: one row per layer with its output shape
 * for the given input and its parameter count, then the totals, trainable and not. The model is
 * run once, in evaluation mode, on `input` (or zeros of `inputShape`); layers applied through
 * `Layer.applyChild` (`sequential`, `named`, `compose`, BERT's modules) get rows of their own,
 * nested by their parameter paths. State (batch-norm statistics) counts as non-trainable, and so
 * do parameters `trainable` excludes (frozen ones).
 * @returns the rows, the totals and the printable `text`.
 * @throws LayerError when neither `input` nor `inputShape` is given; errors of the model propagate.
 * @example
 * ```ts
 * const s = Layer.summary(model, { inputShape: [1, 784] });
 * console.log(s.text);
 * ```
 */
export function summary<In, Out>(model: Layer<In, Out>, options: SummaryOptions<In>): ModelSummary {
  const fn = 'Layer.summary';
  nx.checkOptions(fn, options, KEYS);
  const { input, inputShape } = options ?? ({} as SummaryOptions<In>);
  if (input === undefined && inputShape === undefined) throw new LayerError(`${fn}: give an input (what the model takes) or an inputShape (with its batch axis, e.g. [1, 784])`);
  const maxDepth = options.depth ?? 3;
  const trainable = options.trainable ?? (() => true);
  const own = options.vars === undefined;
  const vars = options.vars ?? model.init({ key: nx.random.key(0) });
  const rows: SummaryRow[] = [];
  const byKey = new Map<string, SummaryRow>();
  const stack: Array<{ path: string; row: SummaryRow | undefined }> = [];
  try {
    nx.scope(() => {
      const x = (input ?? nx.zeros(inputShape!, options.dtype ?? 'float32')) as In;
      withTracer({
        enter(name, layer, v) {
          const parent = stack.at(-1);
          const path = parent === undefined ? '' : parent.path === '' ? name : `${parent.path}.${name}`;
          const depth = stack.length;
          let row = byKey.get(path);
          if (row === undefined) {
            const p = count(v.params, path, trainable);
            const s = count(v.state, path, () => false);
            row = { path, name, depth, kind: layer.kind ?? 'layer', output: '', params: p.all + s.all, trainable: p.trainable, calls: 0 };
            byKey.set(path, row);
            rows.push(row);
          }
          row.calls++;
          stack.push({ path, row });
        },
        exit(y) {
          const top = stack.pop();
          if (top?.row !== undefined && top.row.output === '') top.row.output = describeOutput(y);
        },
        abort() { stack.pop(); },
      }, () => applyChild('', model, vars, x, { training: false }));
    });
  } finally {
    if (own) Ptree.dispose([vars.params, vars.state]);
  }
  const p = count(vars.params, '', trainable);
  const s = count(vars.state, '', () => false);
  const total = p.all + s.all;
  const shown = rows.filter((r) => r.depth <= maxDepth);
  const names = shown.map((r) => `${'  '.repeat(r.depth)}${r.path === '' ? '(model)' : r.name} (${r.kind})${r.calls > 1 ? ` x${r.calls}` : ''}`);
  const w1 = Math.max(12, ...names.map((n) => n.length)) + 2;
  const w2 = Math.max(12, ...shown.map((r) => r.output.length)) + 2;
  const w3 = Math.max(7, ...shown.map((r) => fmtInt(r.params).length));
  const line = '='.repeat(w1 + w2 + w3);
  const text = [
    `${'Layer (type)'.padEnd(w1)}${'Output shape'.padEnd(w2)}${'Param #'.padStart(w3)}`,
    line,
    ...shown.map((r, i) => `${names[i]!.padEnd(w1)}${r.output.padEnd(w2)}${fmtInt(r.params).padStart(w3)}`),
    line,
    `Total params: ${fmtInt(total)} (${fmtBytes(p.bytes + s.bytes)})`,
    `Trainable params: ${fmtInt(p.trainable)}`,
    `Non-trainable params: ${fmtInt(total - p.trainable)}`,
  ].join('\n');
  return { rows, total, trainable: p.trainable, nonTrainable: total - p.trainable, bytes: p.bytes + s.bytes, text };
}

