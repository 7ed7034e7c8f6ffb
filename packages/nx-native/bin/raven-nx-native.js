#!/usr/bin/env node
// The `raven-nx-native` command. After `npm run build` it runs the compiled dist/cli-run.js with
// plain node. In a source checkout without a build it runs src/cli.ts through tsx, with the
// `source` export condition so workspace packages resolve to their TypeScript sources.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/cli-run.js', import.meta.url);
if (existsSync(fileURLToPath(dist))) {
  await import(dist.href);
} else {
  let tsx;
  try {
    tsx = import.meta.resolve('tsx');
  } catch {
    process.stderr.write('raven-nx-native: dist/ is not built and tsx is not installed; run `npm run build -w @raven/nx-native`\n');
    process.exit(1);
  }
  const source = fileURLToPath(new URL('../src/cli-run.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=source', '--import', tsx, source, ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
