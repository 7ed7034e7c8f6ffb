/**
 * Adam's moment update as one function (`nx.adamUpdate`): one fused kernel on the native CPU
 * backend, the same elementwise ops one by one elsewhere.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ADAM_UPDATE_KERNEL } from '../backend/tensorflow-kernels.js';
import { ShapeError } from '../errors.js';
import { checkOptions, type OptionKeys } from '../options.js';
import type { Tensor } from '../tensor.js';
import { checkLive, fmtShape } from './_util.js';
import { add, div, mul, sqrt, square } from './elementwise.js';


/** Options of {@link adamUpdate}. */
export interface AdamUpdateOptions {
  /** Decay of the first moment, in [0, 1). */
  b1: number;
  /** Decay of the second moment, in [0, 1). */
  b2: number;
  /** Added to `sqrt(nu)` in the denominator: a float32 scalar tensor or a number. */
  epsHat: Tensor | number;
  /** The factor the ratio is multiplied by: a float32 scalar tensor or a number. */
  stepScale: Tensor | number;
}

const ADAM_UPDATE_KEYS: OptionKeys<AdamUpdateOptions> = { b1: true, b2: true, epsHat: true, stepScale: true };

/** What {@link adamUpdate} returns: three new tensors shaped like the gradient. */
export interface AdamUpdateResult {
  /** `mu * b1 + grad * (1 - b1)`. */
  mu: Tensor;
  /** `nu * b2 + grad^2 * (1 - b2)`. */
  nu: Tensor;
  /** `mu / (sqrt(nu) + epsHat) * stepScale`, with the new moments. */
  update: Tensor;
}

function checkScalar(name: string, v: Tensor | number): void {
  if (typeof v === 'number') return;
  checkLive('adamUpdate', name, v);
  if (v.size !== 1) throw new ShapeError(`nx.adamUpdate: ${name} must be a scalar, got shape ${fmtShape(v.shape)}`);
}

/**
 * Adam's moment estimates and step direction for one parameter, elementwise:
 * `mu' = mu b1 + grad (1 - b1)`, `nu' = nu b2 + grad^2 (1 - b2)`,
 * `update = mu' / (sqrt(nu') + epsHat) * stepScale`, each operation rounded to float32 in that
 * order. Optimizers pass the bias corrections of step `t` as `epsHat = eps sqrt(1 - b2^t)` and
 * `stepScale = sqrt(1 - b2^t) / (1 - b1^t)` (as `Optim.scaleByAdam` does).
 *
 * On the `tensorflow` backend running on the CPU (with a binding `raven-nx-native` built) the
 * three results come from one TensorFlow kernel that reads each input once, instead of eleven
 * elementwise kernels that each read and write whole tensors; `nx.jit` records it into graphs like
 * any op. The values are the same, bit for bit. Elsewhere (wasm, cpu, a GPU, other dtypes) it runs
 * those eleven ops. Not differentiable (it is an optimizer step).
 * @throws ShapeError when `grad`, `mu` and `nu` differ in shape or `epsHat`/`stepScale` are not scalars.
 * @example
 * ```ts
 * const { mu, nu, update } = nx.adamUpdate(grad, mu0, nu0, { b1: 0.9, b2: 0.999, epsHat: 1e-8, stepScale: 1 });
 * ```
 */
export function adamUpdate(grad: Tensor, mu: Tensor, nu: Tensor, options: AdamUpdateOptions): AdamUpdateResult {
  checkOptions('nx.adamUpdate', options, ADAM_UPDATE_KEYS);
  checkLive('adamUpdate', 'grad', grad);
  checkLive('adamUpdate', 'mu', mu);
  checkLive('adamUpdate', 'nu', nu);
  for (const [name, t] of [['mu', mu], ['nu', nu]] as const) {
    if (t.shape.length !== grad.shape.length || t.shape.some((d, i) => d !== grad.shape[i])) {
      throw new ShapeError(`nx.adamUpdate: ${name} has shape ${fmtShape(t.shape)} but grad has ${fmtShape(grad.shape)}; the moments must be shaped like the gradient`);
    }
  }
  checkScalar('epsHat', options.epsHat);
  checkScalar('stepScale', options.stepScale);
  const { b1, b2 } = options;
  const fused = [grad, mu, nu].every((t) => t.dtype === 'float32') && tf.getKernel(ADAM_UPDATE_KERNEL, tf.getBackend()) !== undefined;
  return tf.tidy(() => {
    const eps = typeof options.epsHat === 'number' ? tf.scalar(options.epsHat) : options.epsHat;
    const scale = typeof options.stepScale === 'number' ? tf.scalar(options.stepScale) : options.stepScale;
    if (fused && eps.dtype === 'float32' && scale.dtype === 'float32') {
      // size-1 scalars of any rank go in as they are: the kernel reads their one element
      const inputs = { grad, mu, nu, epsHat: eps, stepScale: scale };
      const attrs = { b1, oneMinusB1: 1 - b1, b2, oneMinusB2: 1 - b2 };
      const [m, v, u] = tf.engine().runKernel(ADAM_UPDATE_KERNEL, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as Tensor[];
      return { mu: m!, nu: v!, update: u! };
    }
    const m = add(mul(mu, b1), mul(grad, 1 - b1));
    const v = add(mul(nu, b2), mul(square(grad), 1 - b2));
    return { mu: m, nu: v, update: mul(div(m, add(sqrt(v), eps)), scale) };
  });
}
