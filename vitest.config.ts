import { defineConfig } from 'vitest/config';

import { fileURLToPath } from 'node:url';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));
// Tests import the packages by name, like users; the alias points the names at the sources.
const shared = {
  resolve: {
    alias: { '@raven/nx/options': fileURLToPath(new URL('./packages/nx/src/options.ts', import.meta.url)), '@raven/nx': src('nx'), '@raven/kaun-hf': src('kaun-hf'), '@raven/kaun': src('kaun') },
  },
};

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { ...shared, extends: true, test: { name: 'nx-wasm', include: ['packages/nx/test/**/*.test.ts'], env: { NX_BACKEND: 'wasm' } } },
      { ...shared, extends: true, test: { name: 'nx-cpu', include: ['packages/nx/test/**/*.test.ts'], exclude: ['packages/nx/test/**/*.wasm-only.test.ts'], env: { NX_BACKEND: 'cpu' } } },
      { ...shared, extends: true, test: { name: 'kaun', include: ['packages/kaun/test/**/*.test.ts'], env: { NX_BACKEND: 'wasm' } } },
      { ...shared, extends: true, test: { name: 'kaun-hf', include: ['packages/kaun-hf/test/**/*.test.ts'], env: { NX_BACKEND: 'wasm' } } },
      { ...shared, extends: true, test: { name: 'examples', include: ['examples/*/test/**/*.test.ts'], env: { NX_BACKEND: 'wasm' } } },
      { ...shared, extends: true, test: { name: 'docs', include: ['docs/test/**/*.test.ts'], env: { NX_BACKEND: 'wasm' } } },
    ],
  },
});
