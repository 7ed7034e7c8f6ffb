import { defineConfig } from 'vitest/config';

import { fileURLToPath } from 'node:url';

const src = (pkg: string, file = 'index.ts') => fileURLToPath(new URL(`./packages/${pkg}/src/${file}`, import.meta.url));
// Tests import the packages by name, like users; the alias points the names at the sources.
const shared = {
  resolve: {
    alias: {
      '@raven/nx/options': src('nx', 'options.ts'),
      '@raven/nx': src('nx'),
      '@raven/kaun-hf': src('kaun-hf'),
      '@raven/kaun': src('kaun'),
      '@raven/nx-native': src('nx-native'),
    },
  },
};

type Project = { name: string; include: string[]; exclude?: string[]; backend?: string };
const project = (p: Project) => ({
  ...shared,
  extends: true as const,
  test: { name: p.name, include: p.include, ...(p.exclude ? { exclude: p.exclude } : {}), ...(p.backend ? { env: { NX_BACKEND: p.backend } } : {}) },
});

const NX = 'packages/nx/test/**/*.test.ts';
const WASM_ONLY = 'packages/nx/test/**/*.wasm-only.test.ts';
/** The installer's tests that build against a real TensorFlow: in the native leg, where CI provides one. */
const NATIVE_TESTS = 'packages/nx-native/test/**/*.native.test.ts';
/** The suites that run on a backend beside nx's own: kaun, kaun-hf, the examples and the docs. */
const upper = (backend: string, suffix: string): Project[] => [
  { name: `kaun${suffix}`, include: ['packages/kaun/test/**/*.test.ts'], backend },
  { name: `kaun-hf${suffix}`, include: ['packages/kaun-hf/test/**/*.test.ts'], backend },
  { name: `examples${suffix}`, include: ['examples/*/test/**/*.test.ts'], backend },
  { name: `docs${suffix}`, include: ['docs/test/**/*.test.ts'], backend },
];

// `NX_TEST_BACKEND=tensorflow npx vitest run` is the native leg of CI (.ci/run): nx, kaun,
// kaun-hf, examples and docs on the native TensorFlow backend (install it first with
// `npx raven-nx-native install`), and the installer's builds against a real TensorFlow.
// Without it: the default suites, on wasm (and nx on cpu too).
const projects: Project[] =
  process.env['NX_TEST_BACKEND'] === 'tensorflow'
    ? [
        { name: 'nx-tensorflow', include: [NX], exclude: [WASM_ONLY], backend: 'tensorflow' },
        { name: 'nx-native-tensorflow', include: [NATIVE_TESTS] },
        ...upper('tensorflow', '-tensorflow'),
      ]
    : [
        { name: 'nx-wasm', include: [NX], backend: 'wasm' },
        { name: 'nx-cpu', include: [NX], exclude: [WASM_ONLY], backend: 'cpu' },
        { name: 'nx-native', include: ['packages/nx-native/test/**/*.test.ts'], exclude: [NATIVE_TESTS] },
        ...upper('wasm', ''),
      ];

// CI (.ci/run) retries a failed test once and names every retried test at the end of its output
// (.ci/flaky-reporter.ts), so one timing hiccup on a loaded machine neither fails the run nor goes
// unseen; a test that fails twice still fails. `npm test` alone never retries.
const retry = Number(process.env['RAVEN_TEST_RETRY'] ?? 0);

export default defineConfig({
  test: {
    retry,
    ...(retry > 0 ? { reporters: ['default', './.ci/flaky-reporter.ts'] } : {}),
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: projects.map(project),
  },
});
