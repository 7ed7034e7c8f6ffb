/**
 * The `kaun-hf` command: `download`, `cache ls`, `cache clear`. Imports only the Hub modules
 * that do not load `@raven/nx`, so it starts fast.
 * @module
 */
import { sep } from 'node:path';

import { EntryNotFoundError, KaunHfError } from '../errors.js';
import { clearCache, listCache } from '../hub/cache-info.js';
import { type HubOptions, resolveHubConfig } from '../hub/config.js';
import { downloadFile } from '../hub/download-file.js';
import { downloadWeights } from '../hub/weights.js';
import { parseArgs, UsageError } from './args.js';
import { formatBytes } from './format.js';
import { createProgressRenderer, type ProgressStream } from './progress.js';

/** Version printed by `--version`. */
export const VERSION = '0.0.0';

/** Where the command writes: results to `stdout`, progress and errors to `stderr`. */
export interface CliIo {
  stdout: ProgressStream;
  stderr: ProgressStream;
}

/** Usage text of `kaun-hf --help`. */
export const USAGE = `kaun-hf ${VERSION}: download Hugging Face Hub files into the Raven cache

Usage:
  kaun-hf download <repo> [files...] [options]   files default to config.json and the weights
                                                  (safetensors index and shards, or model.safetensors)
  kaun-hf cache ls [--cache-dir D]               list cached repositories
  kaun-hf cache clear [repo] [--cache-dir D]     delete one repository (or all) from the cache

Options:
  --revision R     branch, tag or commit (default main)
  --cache-dir D    cache root (default $RAVEN_CACHE_ROOT/huggingface, $XDG_CACHE_HOME/raven/huggingface
                   or ~/.cache/raven/huggingface)
  --token T        access token (default $HF_TOKEN; prefer the variable: options show in process lists)
  --endpoint URL   Hub address or mirror (default $HF_ENDPOINT or https://huggingface.co)
  --offline        use only the cache (also $HF_HUB_OFFLINE=1)
  -h, --help       show this text
  --version        show the version
`;

const SPEC = {
  values: ['revision', 'cache-dir', 'token', 'endpoint'],
  flags: ['offline', 'help', 'version'],
  aliases: { h: 'help' },
};

function hubOptions(values: Record<string, string>, flags: Set<string>): HubOptions {
  const options: HubOptions = {};
  if (values.revision !== undefined) options.revision = values.revision;
  if (values['cache-dir'] !== undefined) options.cacheDir = values['cache-dir'];
  if (values.token !== undefined) options.token = values.token;
  if (values.endpoint !== undefined) options.endpoint = values.endpoint;
  if (flags.has('offline')) options.offline = true;
  return options;
}

async function download(positionals: string[], options: HubOptions, io: CliIo): Promise<number> {
  const [repo, ...files] = positionals;
  if (repo === undefined) throw new UsageError('download needs a repository id, e.g. `kaun-hf download org/name`');
  const onProgress = createProgressRenderer(io.stderr);
  const withProgress = { ...options, onProgress };
  const paths: Array<[string, string]> = [];
  if (files.length > 0) {
    for (const filename of files)
      paths.push([filename, await downloadFile({ ...withProgress, modelId: repo, filename })]);
  } else {
    try {
      paths.push(['config.json', await downloadFile({ ...withProgress, modelId: repo, filename: 'config.json' })]);
    } catch (err) {
      if (!(err instanceof EntryNotFoundError)) throw err;
      io.stderr.write('config.json: not in the repository, skipped\n');
    }
    const weights = await downloadWeights(repo, withProgress, 'kaun-hf download');
    if (weights.indexPath !== undefined) paths.push(['model.safetensors.index.json', weights.indexPath]);
    weights.filenames.forEach((f, i) => paths.push([f, weights.paths[i] as string]));
  }
  for (const [filename, path] of paths) io.stdout.write(`${filename} -> ${path}\n`);
  const [first] = paths;
  if (first !== undefined) {
    const [filename, path] = first;
    const folder = path.slice(0, path.length - filename.split('/').join(sep).length - 1);
    io.stdout.write(`${paths.length} file(s) in ${folder}\n`);
  }
  return 0;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows
    .map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c] ?? 0))).join('  '))
    .join('\n');
}

async function cacheLs(options: HubOptions, io: CliIo): Promise<number> {
  const cacheDir = resolveHubConfig(options).cacheDir;
  const repos = await listCache({ cacheDir });
  if (repos.length === 0) {
    io.stdout.write(`no repositories cached in ${cacheDir}\n`);
    return 0;
  }
  const rows = [['REPO', 'REVISIONS', 'SNAPSHOTS', 'FILES', 'SIZE', 'PATH']];
  let total = 0;
  for (const r of repos) {
    const files = r.snapshots.reduce((n, s) => n + s.files.length, 0);
    const refs = Object.keys(r.refs).join(',') || '-';
    const partial = r.incompleteBytes > 0 ? ` (+${formatBytes(r.incompleteBytes)} partial)` : '';
    rows.push([r.repoId, refs, String(r.snapshots.length), String(files), formatBytes(r.sizeOnDisk) + partial, r.path]);
    total += r.sizeOnDisk;
  }
  io.stdout.write(
    `${table(rows)}\n${repos.length} repositor${repos.length === 1 ? 'y' : 'ies'}, ${formatBytes(
      total,
    )} in ${cacheDir}\n`,
  );
  return 0;
}

async function cacheClear(positionals: string[], options: HubOptions, io: CliIo): Promise<number> {
  const cacheDir = resolveHubConfig(options).cacheDir;
  const [repo, extra] = positionals;
  if (extra !== undefined) throw new UsageError('cache clear takes at most one repository id');
  const result = await clearCache(repo === undefined ? { cacheDir } : { cacheDir, modelId: repo });
  if (result.removed.length === 0) {
    io.stdout.write(
      repo === undefined ? `nothing to remove in ${cacheDir}\n` : `${repo} is not cached in ${cacheDir}\n`,
    );
  } else {
    for (const id of result.removed) io.stdout.write(`removed ${id}\n`);
    io.stdout.write(`freed ${formatBytes(result.freedBytes)} in ${cacheDir}\n`);
  }
  return 0;
}

/**
 * Runs the command line `argv` (without the node and script paths).
 * @returns The exit status: 0 success, 1 failure (message on stderr), 2 wrong usage.
 * @example
 * ```ts
 * process.exitCode = await main(['download', 'org/name', 'config.json']);
 * ```
 */
export async function main(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  try {
    const { positionals, values, flags } = parseArgs(argv, SPEC);
    if (flags.has('version')) {
      io.stdout.write(`${VERSION}\n`);
      return 0;
    }
    const [command, ...rest] = positionals;
    if (flags.has('help') || command === undefined || command === 'help') {
      io.stdout.write(USAGE);
      return command === undefined && !flags.has('help') ? 2 : 0;
    }
    const options = hubOptions(values, flags);
    if (command === 'download') return await download(rest, options, io);
    if (command === 'cache') {
      const [sub, ...args] = rest;
      if (sub === 'ls' || sub === 'list') {
        if (args.length > 0) throw new UsageError('cache ls takes no arguments');
        return await cacheLs(options, io);
      }
      if (sub === 'clear') return await cacheClear(args, options, io);
      throw new UsageError(`unknown cache command "${sub ?? ''}"; expected "cache ls" or "cache clear [repo]"`);
    }
    throw new UsageError(`unknown command "${command}"; expected download, cache ls or cache clear`);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`kaun-hf: ${err.message}\nRun \`kaun-hf --help\` for usage.\n`);
      return 2;
    }
    const message =
      err instanceof KaunHfError
        ? `${err.name}: ${err.message}`
        : err instanceof Error
        ? err.stack ?? err.message
        : String(err);
    io.stderr.write(`kaun-hf: ${message}\n`);
    return 1;
  }
}
