/**
 * Recurrent layers in PyTorch's parameterisation: {@link lstm} and {@link gru}, stacked and
 * bidirectional, with padding masks.
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { LayerError } from '../errors.js';
import { type Initializer, torchBias } from '../init/index.js';
import type { Tree } from '../ptree/index.js';
import { checkPositiveInt, fmt, param } from './_util.js';
import { applyDropout } from './dropout.js';
import { APPLY_KEYS, type Layer } from './layer.js';

/** Options of {@link lstm} and {@link gru}. */
export interface RnnOptions {
  /** Features of each input step `I`. */
  inputSize: number;
  /** Features of the hidden state `H`. */
  hiddenSize: number;
  /** Stacked layers; default 1. */
  numLayers?: number;
  /** Run a second pass from the end of each sequence and concatenate; default false. */
  bidirectional?: boolean;
  /** Whether the layers have biases (`bias_ih_l*`, `bias_hh_l*`); default true. */
  bias?: boolean;
  /** Dropout on the outputs of every layer but the last, in training (PyTorch's `dropout`); default 0. */
  dropout?: number;
  /** Output `{output, h, c?}` rather than the output sequence alone; default false. */
  returnState?: boolean;
  /** Initializer of every weight and bias; default PyTorch's `U(-1/sqrt(H), 1/sqrt(H))`. */
  init?: Initializer;
}

/** The input of a recurrent layer: a tensor `[N, T, I]`, or this record. */
export interface RnnInput {
  /** The sequences, batch first: `[N, T, I]`. */
  x: Tensor;
  /**
   * Which steps are real, `[N, T]` (bool, int or float; nonzero = real). At a masked step the
   * state is carried over unchanged and the output is 0, so with padding at the end this equals
   * PyTorch's packed sequences: the output is 0 past each sequence's length, the final state is
   * the one at its last real step, and the reverse direction starts at its last real step.
   */
  mask?: Tensor;
  /** Initial hidden state `[numLayers * directions, N, H]`; default zeros. */
  h0?: Tensor;
  /** Initial cell state of an LSTM, `[numLayers * directions, N, H]`; default zeros. */
  c0?: Tensor;
}

/** The output of a recurrent layer built with `returnState: true`. */
export interface RnnOutput {
  /** Every step's output of the last layer, `[N, T, directions * H]` (0 at masked steps). */
  output: Tensor;
  /** The final hidden state of every layer and direction, `[numLayers * directions, N, H]` (PyTorch's `h_n`). */
  h: Tensor;
  /** The final cell state (LSTM only), `[numLayers * directions, N, H]` (PyTorch's `c_n`). */
  c?: Tensor;
}

const RNN_KEYS: nx.OptionKeys<RnnOptions> = { inputSize: true, hiddenSize: true, numLayers: true, bidirectional: true, bias: true, dropout: true, returnState: true, init: true };

type Cell = (gx: Tensor, h: Tensor, c: Tensor | undefined, whh: Tensor, bhh: Tensor | undefined) => [Tensor, Tensor | undefined];

/** LSTM cell, gates in PyTorch's order i, f, g, o. */
const lstmCell: Cell = (gx, h, c, whh, bhh) => {
  const [i, f, g, o] = nx.split(nx.add(gx, nx.linear(h, whh, bhh)), 4, 1) as [Tensor, Tensor, Tensor, Tensor];
  const c2 = nx.add(nx.mul(nx.sigmoid(f), c!), nx.mul(nx.sigmoid(i), nx.tanh(g)));
  return [nx.mul(nx.sigmoid(o), nx.tanh(c2)), c2];
};

/** GRU cell, gates in PyTorch's order r, z, n; `n = tanh(x_n + r (W_hn h + b_hn))`. */
const gruCell: Cell = (gx, h, _c, whh, bhh) => {
  const [xr, xz, xn] = nx.split(gx, 3, 1) as [Tensor, Tensor, Tensor];
  const [hr, hz, hn] = nx.split(nx.linear(h, whh, bhh), 3, 1) as [Tensor, Tensor, Tensor];
  const r = nx.sigmoid(nx.add(xr, hr));
  const z = nx.sigmoid(nx.add(xz, hz));
  const n = nx.tanh(nx.add(xn, nx.mul(r, hn)));
  return [nx.add(n, nx.mul(z, nx.sub(h, n))), undefined];
};

function rnn(fn: string, kind: 'lstm' | 'gru', options: RnnOptions): Layer<Tensor | RnnInput, Tensor | RnnOutput> {
  nx.checkOptions(fn, options, RNN_KEYS);
  const { inputSize, hiddenSize } = options;
  checkPositiveInt(fn, 'inputSize', inputSize);
  checkPositiveInt(fn, 'hiddenSize', hiddenSize);
  const numLayers = options.numLayers ?? 1;
  checkPositiveInt(fn, 'numLayers', numLayers);
  const dirs = (options.bidirectional ?? false) ? 2 : 1;
  const useBias = options.bias ?? true;
  const dropout = options.dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) throw new LayerError(`${fn}: dropout must be in [0, 1), got ${String(dropout)}`);
  const gates = kind === 'lstm' ? 4 : 3;
  const cell = kind === 'lstm' ? lstmCell : gruCell;
  const init = options.init ?? torchBias(hiddenSize);
  const names: Array<{ l: number; d: number; suffix: string }> = [];
  for (let l = 0; l < numLayers; l++) for (let d = 0; d < dirs; d++) names.push({ l, d, suffix: `l${l}${d === 1 ? '_reverse' : ''}` });
  const H = hiddenSize;
  return {
    kind,
    init({ key, dtype = 'float32' }) {
      const keys = nx.random.split(key, names.length * 4);
      const params: Record<string, Tree> = {};
      names.forEach(({ l, suffix }, j) => {
        const inF = l === 0 ? inputSize : H * dirs;
        params[`weight_ih_${suffix}`] = init(keys[4 * j]!, [gates * H, inF], dtype);
        params[`weight_hh_${suffix}`] = init(keys[4 * j + 1]!, [gates * H, H], dtype);
        if (useBias) {
          params[`bias_ih_${suffix}`] = init(keys[4 * j + 2]!, [gates * H], dtype);
          params[`bias_hh_${suffix}`] = init(keys[4 * j + 3]!, [gates * H], dtype);
        }
      });
      return { params, state: {}, dtype };
    },
    apply(vars, input, applyOptions = {}) {
      nx.checkOptions(`${fn}: apply`, applyOptions, APPLY_KEYS);
      const rec: RnnInput = nx.isTensor(input) ? { x: input } : input;
      const { x, mask, h0, c0 } = rec ?? ({} as RnnInput);
      if (!nx.isTensor(x) || x.rank !== 3 || x.shape[2] !== inputSize) {
        throw new LayerError(`${fn}: expected input [N, T, ${inputSize}] (batch first), or {x, mask?, h0?${kind === 'lstm' ? ', c0?' : ''}}, got ${nx.isTensor(x) ? `shape ${fmt(x.shape)}` : typeof x}`);
      }
      const [n, steps] = x.shape as [number, number, number];
      const stateShape = [numLayers * dirs, n, H];
      for (const [name, t] of [['mask', mask], ['h0', h0], ['c0', c0]] as const) {
        if (t === undefined) continue;
        const want = name === 'mask' ? [n, steps] : stateShape;
        if (!nx.isTensor(t) || t.rank !== want.length || t.shape.some((s, i) => s !== want[i])) {
          throw new LayerError(`${fn}: ${name} must have shape ${fmt(want)}, got ${nx.isTensor(t) ? fmt(t.shape) : typeof t}`);
        }
      }
      if (c0 !== undefined && kind !== 'lstm') throw new LayerError(`${fn}: a GRU has no cell state; drop c0`);
      const training = applyOptions.training ?? false;
      const dropKeys = training && dropout > 0 && numLayers > 1 ? nx.random.split(applyOptions.key ?? missingKey(fn), numLayers) : undefined;
      const y = nx.scope(() => {
        const ms = mask === undefined ? undefined : nx.split(nx.cast(nx.notEqual(mask, 0), 'float32'), steps, 1); // [N, 1] each
        const hInit = h0 === undefined ? undefined : nx.split(h0, numLayers * dirs, 0).map((t) => nx.reshape(t, [n, H]));
        const cInit = c0 === undefined ? undefined : nx.split(c0, numLayers * dirs, 0).map((t) => nx.reshape(t, [n, H]));
        const hN: Tensor[] = [];
        const cN: Tensor[] = [];
        let layerIn = x;
        for (let l = 0; l < numLayers; l++) {
          const outs: Tensor[] = [];
          for (let d = 0; d < dirs; d++) {
            const j = l * dirs + d;
            const suffix = names[j]!.suffix;
            const wih = param(fn, vars.params, `weight_ih_${suffix}`);
            const whh = param(fn, vars.params, `weight_hh_${suffix}`);
            const bih = useBias ? param(fn, vars.params, `bias_ih_${suffix}`) : undefined;
            const bhh = useBias ? param(fn, vars.params, `bias_hh_${suffix}`) : undefined;
            // the input projection of every step in one matmul
            const gxs = nx.split(nx.linear(layerIn, wih, bih), steps, 1).map((t) => nx.reshape(t, [n, gates * H]));
            let h = hInit?.[j] ?? nx.zeros([n, H]);
            let c = kind === 'lstm' ? (cInit?.[j] ?? nx.zeros([n, H])) : undefined;
            const seq: Tensor[] = new Array<Tensor>(steps);
            for (let s = 0; s < steps; s++) {
              const t = d === 0 ? s : steps - 1 - s;
              const [h2, c2] = cell(gxs[t]!, h, c, whh, bhh);
              const m = ms?.[t];
              if (m === undefined) {
                seq[t] = h2;
                h = h2;
                c = c2;
              } else {
                seq[t] = nx.mul(h2, m);
                h = nx.add(h, nx.mul(nx.sub(h2, h), m));
                if (c !== undefined) c = nx.add(c, nx.mul(nx.sub(c2!, c), m));
              }
            }
            outs.push(nx.stack(seq, 1));
            hN.push(h);
            if (c !== undefined) cN.push(c);
          }
          layerIn = dirs === 1 ? outs[0]! : nx.concatenate(outs, 2);
          if (dropKeys !== undefined && l < numLayers - 1) layerIn = applyDropout(layerIn, dropout, dropKeys[l], fn);
        }
        if (!(options.returnState ?? false)) return layerIn;
        const out: RnnOutput = { output: layerIn, h: nx.stack(hN, 0) };
        if (kind === 'lstm') out.c = nx.stack(cN, 0);
        return out;
      });
      return { y, state: vars.state };
    },
  };
}

function missingKey(fn: string): never {
  throw new LayerError(`${fn}: dropout between layers needs a key in training: apply(vars, x, { training: true, key })`);
}

/**
 * A long short-term memory layer, as `torch.nn.LSTM` with `batch_first=True`. Per step, with
 * gates in PyTorch's order: `i, f, g, o = split(W_ih x + b_ih + W_hh h + b_hh)`,
 * `c' = sigmoid(f) c + sigmoid(i) tanh(g)`, `h' = sigmoid(o) tanh(c')`.
 *
 * - Input `[N, T, I]` or {@link RnnInput} `{x, mask?, h0?, c0?}` (see `mask` for padding).
 * - Output `[N, T, D*H]` (`D` = 2 when bidirectional: forward then reverse features), or
 *   {@link RnnOutput} `{output, h, c}` with `returnState`.
 * - Params (PyTorch's names, so state dicts load as they are): `weight_ih_l{k}` `[4H, I or D*H]`,
 *   `weight_hh_l{k}` `[4H, H]`, `bias_ih_l{k}`, `bias_hh_l{k}` `[4H]`; `_reverse` for the reverse
 *   direction.
 * @throws LayerError for invalid options or (at apply) an input, mask or initial state of the wrong shape.
 * @example
 * ```ts
 * const rnn = Layer.lstm({ inputSize: 8, hiddenSize: 16, returnState: true });
 * const vars = rnn.init({ key: nx.random.key(0) });
 * const { y } = rnn.apply(vars, { x, mask }); // y.output [N, T, 16], y.h [1, N, 16]
 * ```
 */
export function lstm(options: RnnOptions & { returnState: true }): Layer<Tensor | RnnInput, RnnOutput>;
export function lstm(options: RnnOptions & { returnState?: false }): Layer<Tensor | RnnInput, Tensor>;
export function lstm(options: RnnOptions): Layer<Tensor | RnnInput, Tensor | RnnOutput>;
export function lstm(options: RnnOptions): Layer<Tensor | RnnInput, Tensor | RnnOutput> {
  return rnn('Layer.lstm', 'lstm', options);
}

/**
 * A gated recurrent unit layer, as `torch.nn.GRU` with `batch_first=True`. Per step, with gates
 * in PyTorch's order: `r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)`, `z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)`,
 * `n = tanh(W_in x + b_in + r (W_hn h + b_hn))`, `h' = (1 - z) n + z h`.
 *
 * - Input `[N, T, I]` or {@link RnnInput} `{x, mask?, h0?}`; output `[N, T, D*H]`, or
 *   {@link RnnOutput} `{output, h}` with `returnState`.
 * - Params: `weight_ih_l{k}` `[3H, I or D*H]`, `weight_hh_l{k}` `[3H, H]`, `bias_ih_l{k}`,
 *   `bias_hh_l{k}` `[3H]` (`_reverse` for the reverse direction).
 * @throws LayerError for invalid options or (at apply) inputs of the wrong shape.
 * @example `Layer.gru({ inputSize: 8, hiddenSize: 16, numLayers: 2, bidirectional: true })`
 */
export function gru(options: RnnOptions & { returnState: true }): Layer<Tensor | RnnInput, RnnOutput>;
export function gru(options: RnnOptions & { returnState?: false }): Layer<Tensor | RnnInput, Tensor>;
export function gru(options: RnnOptions): Layer<Tensor | RnnInput, Tensor | RnnOutput>;
export function gru(options: RnnOptions): Layer<Tensor | RnnInput, Tensor | RnnOutput> {
  return rnn('Layer.gru', 'gru', options);
}
