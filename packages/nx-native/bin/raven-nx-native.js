#!/usr/bin/env node
// The `raven-nx-native` command: runs the compiled dist/cli-run.js. In a source checkout, build
// first (`npm run build`), or run src/cli-run.ts with tsx.
try {
  await import('../dist/cli-run.js');
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !String(e.message).includes('cli-run.js')) throw e;
  process.stderr.write(
    'raven-nx-native: dist/ is not built; run `npm run build` (or, in the repository: ' +
      '`npx tsx --conditions=source packages/nx-native/src/cli-run.ts ...`)\n',
  );
  process.exitCode = 1;
}
