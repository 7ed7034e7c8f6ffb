/**
 * A working gradient for the `Prod` kernel. The one TF.js registers calls a chained tensor method
 * (`permutedX.reshape`) that tfjs-core alone does not install, so `nx.prod` could not be
 * differentiated. This one uses exclusive cumulative products from both ends, which is exact
 * when some elements are zero (no division by x). Internal.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

let done = false;

/** Replaces the `Prod` gradient; later calls do nothing. @internal */
export function registerProdGradient(): void {
  if (done) return;
  done = true;
  tf.registerGradient({
    kernelName: 'Prod',
    inputsToSave: ['x'],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const x = saved[0]!;
      const g = Array.isArray(dy) ? dy[0]! : dy;
      const raw = attrs['axis'] as number | number[] | null | undefined;
      const list = raw === null || raw === undefined ? x.shape.map((_, i) => i) : Array.isArray(raw) ? raw : [raw];
      const axes = [...new Set(list.map((a) => (a < 0 ? a + x.rank : a)))].sort((p, q) => p - q);
      return {
        x: () =>
          tf.tidy(() => {
            const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
            const perm = [...kept, ...axes];
            const inv = perm.map((_, i) => perm.indexOf(i));
            const xt = tf.transpose(x, perm);
            const k = kept.reduce((p, a) => p * x.shape[a]!, 1);
            const n = axes.reduce((p, a) => p * x.shape[a]!, 1);
            const flat = tf.reshape(xt, [k, n]);
            const left = tf.cumprod(flat, 1, true, false);
            const right = tf.cumprod(flat, 1, true, true);
            const others = tf.mul(left, right); // d prod / d x_i: the product of all other elements
            const dyFlat = tf.reshape(g, [k, 1]);
            return tf.transpose(tf.reshape(tf.mul(others, dyFlat), xt.shape), inv);
          }),
      };
    },
  });
}
