import { describe, expect, it } from 'vitest';
import { run } from '../src/main.js';

describe('examples/xor', () => {
  it('learns XOR: the four predictions are right and confident', async () => {
    const { probabilities, loss } = await run();
    expect(probabilities.map((p) => (p > 0.5 ? 1 : 0))).toEqual([0, 1, 1, 0]);
    for (const [i, p] of probabilities.entries()) expect(Math.abs(p - [0, 1, 1, 0][i]!)).toBeLessThan(0.2);
    expect(loss).toBeLessThan(0.1);
  }, 60_000);
});
