/**
 * Host-side special functions the samplers need: float32 `erfinv` (Giles' approximation, the one
 * XLA uses for float32) and `erf`. Internal.
 * @module
 */

/**
 * Inverse error function for `x` in `(-1, 1)`, M. Giles' single-precision approximation
 * ("Approximating the erfinv function", 2010), the one XLA uses for float32; about 4e-7 relative
 * error. Returns ±Infinity at ±1 and NaN outside `[-1, 1]`.
 * @internal
 */
export function erfinv(x: number): number {
  if (!(x > -1 && x < 1)) return x === 1 ? Infinity : x === -1 ? -Infinity : NaN;
  let w = -Math.log1p(-x * x);
  let p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-8;
    p = 3.43273939e-7 + p * w;
    p = -3.5233877e-6 + p * w;
    p = -4.39150654e-6 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  return p * x;
}

/**
 * Error function, from the complementary error function's Chebyshev fit in Numerical Recipes
 * (relative error of `erfc` below 1.2e-7 everywhere), enough for float32 results.
 * @internal
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}
