/**
 * `einsum`: Einstein summation over one or more operands, composed from transpose, reshape,
 * multiply, sum and batched matmul (the wasm backend has no Einsum kernel), so it runs and
 * differentiates on every backend.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { fmtShape } from './_util.js';
import { safeBroadcastTo, safeMatMul, safeSum } from './empty.js';

/** A parsed operand: one label per axis (ellipsis axes get reserved labels). */
interface Term {
  labels: string[];
  t: Tensor;
}

const ELLIPSIS_LABELS = '\u0391\u0392\u0393\u0394\u0395\u0396\u0397\u0398\u0399\u039a\u039b\u039c\u039d\u039e\u039f\u03a0'; // Greek capitals, never user labels

function err(equation: string, msg: string): ValueError {
  return new ValueError(`nx.einsum: ${msg} (equation '${equation}')`);
}

function parseSide(equation: string, s: string): { labels: string[]; ellipsis: number } {
  const dots = s.indexOf('...');
  if (dots >= 0 && s.indexOf('...', dots + 1) >= 0) throw err(equation, `more than one '...' in '${s}'`);
  const letters = s.replace('...', '');
  for (const c of letters) if (!/[a-zA-Z]/.test(c)) throw err(equation, `'${c}' is not a label; use letters a-z, A-Z and '...'`);
  return { labels: [...s.replace('...', '.')], ellipsis: dots };
}

/**
 * Einstein summation, as NumPy's `einsum`: `einsum('bij,bjk->bik', a, b)` is a batched matrix
 * product. Labels are letters; `...` stands for broadcast leading axes; without `->` the output
 * holds the labels that appear once, sorted (and `...` first). A label repeated in one operand
 * takes the diagonal (`'ii->i'`, trace `'ii->'`). Supports any number of operands (contracted left
 * to right); each pairwise contraction is one batched matmul.
 * @throws ValueError for a malformed equation, a label in the output that no input has, or the
 *   wrong number of operands; ShapeError when a label has different lengths in different operands
 *   (the message names the label and the shapes); DTypeError for bool operands.
 * @example
 * ```ts
 * nx.einsum('ij,jk->ik', a, b);           // matmul
 * nx.einsum('bhqd,bhkd->bhqk', q, k);     // attention scores
 * nx.einsum('i,i->', x, y);               // dot product
 * nx.einsum('ij->ji', a);                 // transpose
 * ```
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  if (typeof equation !== 'string') throw new ValueError('nx.einsum: the first argument must be the equation string');
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  if (arrow >= 0 && eq.indexOf('->', arrow + 1) >= 0) throw err(equation, "more than one '->'");
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const inputs = lhs.split(',');
  if (inputs.length !== operands.length) throw err(equation, `${inputs.length} input terms but ${operands.length} operands`);
  if (operands.length === 0) throw err(equation, 'needs at least one operand');
  operands.forEach((t, i) => {
    if (!(t instanceof tf.Tensor)) throw new ValueError(`nx.einsum: operand ${i} is not a tensor`);
    if (t.dtype === 'bool') throw new DTypeError(`nx.einsum: operand ${i} has dtype bool; expected float32 or int32`);
  });

  // labels per operand, ellipsis expanded right-aligned to reserved labels
  const parsed = inputs.map((s) => parseSide(equation, s));
  let ellRank = 0;
  const terms: Term[] = parsed.map((p, i) => {
    const t = operands[i]!;
    const named = p.labels.filter((c) => c !== '.').length;
    if (p.ellipsis < 0 && named !== t.rank) throw new ShapeError(`nx.einsum: term '${inputs[i]}' has ${named} labels but operand ${i} has shape ${fmtShape(t.shape)} (equation '${equation}')`);
    if (p.ellipsis >= 0 && named > t.rank) throw new ShapeError(`nx.einsum: term '${inputs[i]}' has ${named} labels but operand ${i} has only rank ${t.rank} (equation '${equation}')`);
    const k = t.rank - named;
    ellRank = Math.max(ellRank, p.ellipsis >= 0 ? k : 0);
    return { labels: p.labels, t };
  });
  if (ellRank > ELLIPSIS_LABELS.length) throw err(equation, `'...' covers more than ${ELLIPSIS_LABELS.length} axes`);
  const ell = [...ELLIPSIS_LABELS.slice(0, ellRank)];
  for (const term of terms) {
    const i = term.labels.indexOf('.');
    if (i >= 0) {
      const k = term.t.rank - (term.labels.length - 1);
      term.labels.splice(i, 1, ...ell.slice(ellRank - k));
    }
  }

  // output labels
  let out: string[];
  const counts = new Map<string, number>();
  for (const term of terms) for (const c of term.labels) counts.set(c, (counts.get(c) ?? 0) + 1);
  if (arrow >= 0) {
    const p = parseSide(equation, eq.slice(arrow + 2));
    out = [];
    for (const c of p.labels) {
      if (c === '.') out.push(...ell);
      else out.push(c);
    }
    if (new Set(out).size !== out.length) throw err(equation, 'a label appears twice in the output');
    for (const c of out) if (!counts.has(c)) throw err(equation, `output label '${c === '.' ? '...' : c}' appears in no input`);
    if (p.ellipsis < 0 && ellRank > 0) throw err(equation, "the inputs use '...' but the output does not");
  } else {
    out = [...ell, ...[...counts.keys()].filter((c) => !ell.includes(c) && counts.get(c) === 1).sort()];
  }

  // sizes per label; size-1 ellipsis axes broadcast
  const size = new Map<string, number>();
  for (const term of terms) {
    term.labels.forEach((c, ax) => {
      const d = term.t.shape[ax]!;
      const prev = size.get(c);
      const broadcasts = ell.includes(c); // only '...' axes broadcast, as NumPy
      if (prev === undefined || (prev === 1 && broadcasts)) size.set(c, d);
      else if (d !== prev && !(d === 1 && broadcasts)) {
        const shapes = operands.map((o) => fmtShape(o.shape)).join(', ');
        throw new ShapeError(`nx.einsum: label '${c}' has length ${prev} in one operand and ${d} in another (equation '${equation}', shapes ${shapes})`);
      }
    });
  }

  return tf.tidy(() => {
    const float = operands.some((o) => o.dtype === 'float32');
    let cur = terms.map((term) => ({ labels: term.labels, t: float && term.t.dtype !== 'float32' ? tf.cast(term.t, 'float32') : term.t }));
    cur = cur.map((term) => broadcastEllipsis(diagonals(term), ell, size));
    // contract left to right
    let acc = cur[0]!;
    for (let i = 1; i < cur.length; i++) {
      const later = new Set([...out, ...cur.slice(i + 1).flatMap((t) => t.labels)]);
      acc = contract(acc, cur[i]!, later, size);
    }
    acc = sumOut(acc, new Set(out));
    const perm = out.map((c) => acc.labels.indexOf(c));
    return perm.every((p, i) => p === i) ? tf.clone(acc.t) : tf.transpose(acc.t, perm);
  });
}

/** Broadcasts size-1 ellipsis axes of a term to their full length. */
function broadcastEllipsis(term: Term, ell: string[], size: Map<string, number>): Term {
  const target = term.labels.map((c, ax) => (ell.includes(c) ? size.get(c)! : term.t.shape[ax]!));
  if (target.every((d, ax) => d === term.t.shape[ax])) return term;
  return { labels: term.labels, t: safeBroadcastTo(term.t, target) };
}

/** Takes the diagonal for every label repeated within one term (`ii -> i`). */
function diagonals(term: Term): Term {
  let { labels, t } = term;
  for (;;) {
    const j = labels.findIndex((c, k) => labels.indexOf(c) !== k);
    if (j < 0) return { labels, t };
    const i = labels.indexOf(labels[j]!);
    const n = t.shape[i]!;
    // multiply by the identity over axes (i, j), then sum axis j
    const eyeShape = t.shape.map((_, k) => (k === i || k === j ? n : 1));
    const mask = tf.reshape(tf.eye(n, n, undefined, t.dtype as 'float32' | 'int32'), eyeShape);
    t = safeSum(tf.mul(t, mask), j);
    labels = labels.filter((_, k) => k !== j);
  }
}

/** Sums away the labels of a term that are not in `keep`. */
function sumOut(term: Term, keep: Set<string>): Term {
  const axes = term.labels.map((c, k) => (keep.has(c) ? -1 : k)).filter((k) => k >= 0);
  if (axes.length === 0) return term;
  return { labels: term.labels.filter((c) => keep.has(c)), t: safeSum(term.t, axes) };
}

/**
 * Contracts two terms, keeping the labels in `keep`: batch labels (in both, kept), contracted
 * labels (in both, not kept), and free labels of each side; one batched matmul
 * `[batch, freeA, contracted] @ [batch, contracted, freeB]`.
 */
function contract(a0: Term, b0: Term, keep: Set<string>, size: Map<string, number>): Term {
  const a = sumOut(a0, new Set([...keep, ...b0.labels]));
  const b = sumOut(b0, new Set([...keep, ...a.labels]));
  const inB = new Set(b.labels);
  const inA = new Set(a.labels);
  const batch = a.labels.filter((c) => inB.has(c) && keep.has(c));
  const contracted = a.labels.filter((c) => inB.has(c) && !keep.has(c));
  const freeA = a.labels.filter((c) => !inB.has(c));
  const freeB = b.labels.filter((c) => !inA.has(c));
  const prod = (ls: string[]): number => ls.reduce((p, c) => p * size.get(c)!, 1);
  const arrange = (t: Term, order: string[]): Tensor => {
    const perm = order.map((c) => t.labels.indexOf(c));
    return perm.every((p, i) => p === i) ? t.t : tf.transpose(t.t, perm);
  };
  const nb = prod(batch);
  const m = prod(freeA);
  const k = prod(contracted);
  const n = prod(freeB);
  let r: Tensor;
  if (contracted.length === 0 && (freeA.length === 0 || freeB.length === 0)) {
    // a broadcast product is cheaper than a matmul with an inner length of 1
    const at = tf.reshape(arrange(a, [...batch, ...freeA]), [nb, m, 1]);
    const bt = tf.reshape(arrange(b, [...batch, ...freeB]), [nb, 1, n]);
    r = tf.mul(at, bt);
  } else {
    const at = tf.reshape(arrange(a, [...batch, ...freeA, ...contracted]), [nb, m, k]);
    const bt = tf.reshape(arrange(b, [...batch, ...contracted, ...freeB]), [nb, k, n]);
    r = safeMatMul(at, bt);
  }
  const labels = [...batch, ...freeA, ...freeB];
  return { labels, t: tf.reshape(r, labels.map((c) => size.get(c)!)) };
}
