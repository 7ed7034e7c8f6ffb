/**
 * Activation functions on tensors (float32 in, float32 out). Each also exists as a layer
 * (`Layer.relu()`, `Layer.gelu()`, ...).
 * @module
 */
import * as nx from '@raven/nx';
import type { Tensor } from '@raven/nx';
import { LayerError } from '../errors.js';

/** `max(x, 0)`. */
export function relu(x: Tensor): Tensor {
  return nx.relu(x);
}

/** The exact GELU `x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))` (PyTorch's `gelu`, BERT's `gelu`). */
export function gelu(x: Tensor): Tensor {
  return nx.scope(() => nx.mul(nx.mul(x, 0.5), nx.add(nx.erf(nx.mul(x, Math.SQRT1_2)), 1)));
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * The tanh approximation of GELU, `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`
 * (PyTorch's `gelu(approximate='tanh')`, HF's `gelu_new`).
 */
export function geluTanh(x: Tensor): Tensor {
  return nx.scope(() => {
    const inner = nx.mul(nx.add(x, nx.mul(nx.mul(nx.square(x), x), 0.044715)), SQRT_2_OVER_PI);
    return nx.mul(nx.mul(x, 0.5), nx.add(nx.tanh(inner), 1));
  });
}

/** SiLU (swish): `x * sigmoid(x)`. */
export function silu(x: Tensor): Tensor {
  return nx.scope(() => nx.mul(x, nx.sigmoid(x)));
}

/** Alias of {@link silu}. */
export const swish = silu;

/** `tanh(x)`. */
export function tanh(x: Tensor): Tensor {
  return nx.tanh(x);
}

/** The logistic function `1 / (1 + exp(-x))`. */
export function sigmoid(x: Tensor): Tensor {
  return nx.sigmoid(x);
}

/** Softmax along `axis` (default -1), computed stably. */
export function softmax(x: Tensor, axis = -1): Tensor {
  return nx.softmax(x, axis);
}

/** `log(softmax(x))` along `axis` (default -1), computed stably. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return nx.logSoftmax(x, axis);
}

/**
 * `x` where `x >= 0`, `negativeSlope * x` elsewhere.
 * @param negativeSlope - default 0.01 (PyTorch's).
 */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  if (!Number.isFinite(negativeSlope)) throw new LayerError(`Layer.Activation.leakyRelu: negativeSlope must be finite, got ${negativeSlope}`);
  if (negativeSlope >= 0 && negativeSlope <= 1) return nx.scope(() => nx.maximum(x, nx.mul(x, negativeSlope)));
  return nx.scope(() => nx.where(nx.greaterEqual(x, 0), x, nx.mul(x, negativeSlope)));
}

/**
 * ELU: `x` where `x > 0`, `alpha (exp(x) - 1)` elsewhere.
 * @param alpha - default 1.
 */
export function elu(x: Tensor, alpha = 1): Tensor {
  // expm1 of min(x, 0) so the unused branch cannot overflow (inf * 0 would poison the gradient)
  // greaterEqual, not greater: TF.js registers no gradient for Greater (both branches agree at 0)
  return nx.scope(() => nx.where(nx.greaterEqual(x, 0), x, nx.mul(nx.expm1(nx.minimum(x, 0)), alpha)));
}

/** `log(1 + exp(x))`, computed stably. */
export function softplus(x: Tensor): Tensor {
  return nx.softplus(x);
}

/** Returns `x` itself (no copy). */
export function identity(x: Tensor): Tensor {
  return x;
}
