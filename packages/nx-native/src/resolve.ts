/**
 * Finds an installed package's folder as Node would look for it from a project folder, without
 * going through the package's `exports` (which need not list `package.json`).
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** The folder of package `name` as resolved from `fromDir`, or `undefined` when not installed. @internal */
export function findPackageDir(fromDir: string, name: string): string | undefined {
  const paths = createRequire(join(fromDir, 'package.json')).resolve.paths(name) ?? [];
  for (const p of paths) {
    const dir = join(p, name);
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return undefined;
}
