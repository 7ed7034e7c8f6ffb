/**
 * The machine's side of the build: platform, C++ compiler, Node's headers and npm.
 * @module
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { runChild } from '../child.js';
import { NativeInstallError } from '../errors.js';

/** The Node-API version the binding is compiled for (tfjs-node 4.22 builds for 3 to 8). */
export const NAPI_VERSION = 8;

/**
 * Throws `platform` unless this is Linux on x64 or arm64 with Node-API 8 or later.
 * @internal
 */
export function checkPlatform(): string {
  const napi = Number(process.versions.napi ?? 0);
  const where = `${process.platform} ${process.arch}, Node ${process.version} (Node-API ${napi})`;
  if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'arm64')) {
    throw new NativeInstallError(
      'platform',
      `${where}: the installer builds for Linux x64/arm64 only; elsewhere nx runs on wasm (the default), or use tfjs-node's own installer`,
    );
  }
  if (napi < NAPI_VERSION) throw new NativeInstallError('platform', `${where}: Node-API ${NAPI_VERSION} is needed (Node 20 or later)`);
  return where;
}

/** A C++ compiler: the command (with any leading words of `$CXX`) and its version line. */
export interface Compiler {
  /** Program and leading arguments. */
  command: string[];
  /** First line of `--version`. */
  version: string;
}

/**
 * The C++ compiler: `cxx` when given, else `$CXX`, then `g++`, `c++`, `clang++` on PATH.
 * @throws NativeInstallError `no-compiler`.
 * @internal
 */
export async function findCompiler(cxx: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Compiler> {
  const candidates = cxx ? [cxx] : [env['CXX'], 'g++', 'c++', 'clang++'].filter((x): x is string => !!x);
  for (const c of candidates) {
    const command = c.trim().split(/\s+/);
    const r = await runChild(command[0]!, [...command.slice(1), '--version'], { timeoutMs: 30_000 });
    if (!r.error && r.status === 0) return { command, version: r.stdout.split('\n')[0]!.trim() };
  }
  throw new NativeInstallError(
    'no-compiler',
    `no C++ compiler runs (tried ${candidates.join(', ')}): install one with C++17 support ` + '(Debian/Ubuntu: `apt-get install g++`), or set CXX',
  );
}

/**
 * Folders that may hold Node's headers, most specific first: `nodedir` (as npm's `nodedir`),
 * `$npm_config_nodedir`, the installation the running `node` came from, the system's, node-gyp's
 * download cache.
 * @internal
 */
export function nodeHeaderCandidates(nodedir: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const version = process.version.slice(1);
  const dirs = [
    nodedir ? join(nodedir, 'include', 'node') : undefined,
    env['npm_config_nodedir'] ? join(env['npm_config_nodedir'], 'include', 'node') : undefined,
    join(dirname(dirname(process.execPath)), 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
    join(homedir(), '.cache', 'node-gyp', version, 'include', 'node'),
    join(homedir(), '.node-gyp', version, 'include', 'node'),
  ];
  return [...new Set(dirs.filter((d): d is string => !!d))];
}

/**
 * The folder with `node_api.h`.
 * @throws NativeInstallError `no-node-headers`.
 * @internal
 */
export function findNodeHeaders(nodedir: string | undefined): string {
  const candidates = nodeHeaderCandidates(nodedir);
  const found = candidates.find((d) => existsSync(join(d, 'node_api.h')));
  if (found) return found;
  throw new NativeInstallError(
    'no-node-headers',
    `Node's headers (node_api.h) are not in ${candidates.join(', ')}: install them (Debian/Ubuntu: \`apt-get install libnode-dev\`; ` +
      'Node from nodejs.org ships them under include/node), or pass --nodedir DIR (the folder that has include/node)',
  );
}

/** npm's version, or `undefined` when npm does not run. @internal */
export async function npmVersion(): Promise<string | undefined> {
  const r = await runChild('npm', ['--version'], { timeoutMs: 60_000 });
  return r.error || r.status !== 0 ? undefined : r.stdout.trim();
}
