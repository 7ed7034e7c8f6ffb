/**
 * The `kaun-hf` command: `download` (files or a whole snapshot), `upload`, `repo create`,
 * `cache ls`, `cache clear`.
 * @module
 */
import { stat } from 'node:fs/promises';
import { basename, sep } from 'node:path';
import { createInterface } from 'node:readline/promises';

import { KaunHfError } from '../errors.js';
import { clearCache, listCache } from '../hub/cache-info.js';
import { type HubOptions, resolveHubConfig } from '../hub/config.js';
import { downloadFile } from '../hub/download-file.js';
import { createBranch } from '../hub/repo/branch.js';
import { createRepo } from '../hub/repo/create-repo.js';
import { downloadSnapshot } from '../hub/snapshot/snapshot-download.js';
import type { CommitInfo } from '../hub/upload/commit.js';
import { uploadFile } from '../hub/upload/upload-file.js';
import { uploadFolder } from '../hub/upload/upload-folder.js';
import { parseArgs, UsageError } from './args.js';
import { formatBytes } from './format.js';
import { createProgressRenderer, createUploadRenderer, type ProgressStream } from './progress.js';

/** Version printed by `--version`. */
export const VERSION = '0.0.0';

/** Where the command writes: results to `stdout`, progress and errors to `stderr`; `prompt` asks the user. */
export interface CliIo {
  stdout: ProgressStream;
  stderr: ProgressStream;
  /** Asks a question and returns the answer; absent when nobody can answer (no terminal). */
  prompt?: (question: string) => Promise<string>;
}

/** Usage text of `kaun-hf --help`. */
export const USAGE = `kaun-hf ${VERSION}: Hugging Face Hub files in and out of the Raven cache

Usage:
  kaun-hf download <repo> [files...] [options]    the whole repository (snapshot), or the files named
      --include P / --exclude P                   only files matching / not matching P (repeatable;
                                                  fnmatch: *.json, onnx/*, a folder as dir/)
      --concurrency N                             files downloaded at once (default 8)
  kaun-hf upload <repo> [path] [path-in-repo] [options]
                                                  a folder (default .) or one file, in one commit; the
                                                  repository (and the branch) are created when missing
      --private                                   create the repository private
      --message M / --description D               the commit's title and description
      --include P / --exclude P / --delete P      folder files to upload / leave out; remote files to delete
  kaun-hf repo create <repo> [--private] [--exist-ok]
  kaun-hf cache ls [--cache-dir D]                list cached repositories, and unfinished downloads
  kaun-hf cache clear [repo] [--yes]              delete one repository, or all (asks first; --yes to skip)
  kaun-hf cache clear [repo] --incomplete         delete only unfinished downloads no process is writing

Options:
  --revision R     branch, tag or commit (default main); upload: the branch (created if missing)
  --cache-dir D    cache root (default: $RAVEN_CACHE_ROOT/huggingface, else $HF_HUB_CACHE, else
                   $HF_HOME/hub, else $XDG_CACHE_HOME/raven/huggingface or ~/.cache/raven/huggingface)
  --token T        access token (default $HF_TOKEN; prefer the variable: options show in process lists)
  --endpoint URL   Hub address or mirror (default $HF_ENDPOINT or https://huggingface.co)
  --offline        use only the cache (also $HF_HUB_OFFLINE=1)
  -h, --help       show this text
  --version        show the version
`;

const SPEC = {
  values: ['revision', 'cache-dir', 'token', 'endpoint', 'message', 'description', 'concurrency'],
  flags: ['offline', 'help', 'version', 'yes', 'private', 'exist-ok', 'incomplete'],
  lists: ['include', 'exclude', 'delete'],
  aliases: { h: 'help', y: 'yes', m: 'message' },
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

/** Only the options that mean something to a write to the Hub. */
function apiOptions(options: HubOptions): { token?: string | false; endpoint?: string; offline?: boolean } {
  return {
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.offline !== undefined ? { offline: options.offline } : {}),
  };
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${name} needs a whole number >= 1, got "${value}"`);
  return Number(value);
}

interface Parsed {
  positionals: string[];
  values: Record<string, string>;
  flags: Set<string>;
  lists: Record<string, string[]>;
}

async function download(args: Parsed, options: HubOptions, io: CliIo): Promise<number> {
  const [repo, ...files] = args.positionals;
  if (repo === undefined) throw new UsageError('download needs a repository id, e.g. `kaun-hf download org/name`');
  const onProgress = createProgressRenderer(io.stderr);
  const withProgress = { ...options, onProgress };
  const paths: Array<[string, string]> = [];
  let folder: string | undefined;
  if (files.length > 0) {
    if (args.lists.include || args.lists.exclude) throw new UsageError('--include/--exclude filter a whole-repository download; name files or patterns, not both');
    for (const filename of files) paths.push([filename, await downloadFile({ ...withProgress, modelId: repo, filename })]);
  } else {
    const concurrency = positiveInt(args.values.concurrency, 'concurrency');
    const snap = await downloadSnapshot(
      repo,
      {
        ...withProgress,
        ...(args.lists.include ? { allowPatterns: args.lists.include } : {}),
        ...(args.lists.exclude ? { ignorePatterns: args.lists.exclude } : {}),
        ...(concurrency !== undefined ? { concurrency } : {}),
      },
      'kaun-hf download',
    );
    folder = snap.folder;
    for (const f of snap.files) paths.push([f, `${snap.folder}${sep}${f.split('/').join(sep)}`]);
  }
  for (const [filename, path] of paths) io.stdout.write(`${filename} -> ${path}\n`);
  const [first] = paths;
  if (folder === undefined && first !== undefined) {
    const [filename, path] = first;
    folder = path.slice(0, path.length - filename.split('/').join(sep).length - 1);
  }
  if (folder !== undefined) io.stdout.write(`${paths.length} file(s) in ${folder}\n`);
  return 0;
}

async function upload(args: Parsed, options: HubOptions, io: CliIo): Promise<number> {
  const [repo, local = '.', pathInRepo, extra] = args.positionals;
  if (repo === undefined) throw new UsageError('upload needs a repository id, e.g. `kaun-hf upload org/name ./out`');
  if (extra !== undefined) throw new UsageError('upload takes a repository, a local path and a path in the repository');
  const st = await stat(local).catch(() => undefined);
  if (st === undefined) throw new UsageError(`upload: no such file or folder: ${local}`);
  const api = apiOptions(options);
  const repoUrl = await createRepo(repo, { ...api, existOk: true, ...(args.flags.has('private') ? { private: true } : {}) });
  const revision = options.revision;
  if (revision !== undefined && revision !== 'main' && !revision.startsWith('refs/')) await createBranch(repoUrl.repoId, revision, { ...api, existOk: true });
  const common = {
    ...api,
    ...(revision !== undefined ? { revision } : {}),
    ...(args.values.message !== undefined ? { commitMessage: args.values.message } : {}),
    ...(args.values.description !== undefined ? { commitDescription: args.values.description } : {}),
    onProgress: createUploadRenderer(io.stderr),
  };
  let info: CommitInfo;
  if (st.isDirectory()) {
    info = await uploadFolder(local, repoUrl.repoId, {
      ...common,
      ...(pathInRepo !== undefined ? { pathInRepo } : {}),
      ...(args.lists.include ? { allowPatterns: args.lists.include } : {}),
      ...(args.lists.exclude ? { ignorePatterns: args.lists.exclude } : {}),
      ...(args.lists.delete ? { deletePatterns: args.lists.delete } : {}),
    });
  } else {
    if (args.lists.include || args.lists.exclude || args.lists.delete) throw new UsageError('--include/--exclude/--delete apply to a folder upload');
    info = await uploadFile(repoUrl.repoId, { ...common, source: local, pathInRepo: pathInRepo ?? basename(local) });
  }
  const unchanged = info.unchanged.length > 0 ? `, ${info.unchanged.length} unchanged` : '';
  io.stderr.write(
    info.committed
      ? `committed ${info.added.length} file(s)${info.deleted.length > 0 ? `, deleted ${info.deleted.length}` : ''}${unchanged} to ${repoUrl.repoId}\n`
      : `nothing changed in ${repoUrl.repoId} (${info.unchanged.length} file(s) already there): no commit\n`,
  );
  io.stdout.write(`${info.commitUrl}\n`);
  return 0;
}

async function repoCommand(args: string[], parsed: Parsed, options: HubOptions, io: CliIo): Promise<number> {
  const [sub, repo, extra] = args;
  if (sub !== 'create') throw new UsageError(`unknown repo command "${sub ?? ''}"; expected "repo create <repo>"`);
  if (repo === undefined || extra !== undefined) throw new UsageError('repo create takes one repository id');
  const url = await createRepo(repo, {
    ...apiOptions(options),
    ...(parsed.flags.has('private') ? { private: true } : {}),
    ...(parsed.flags.has('exist-ok') ? { existOk: true } : {}),
  });
  io.stdout.write(`${url.url}\n`);
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
  const partials = repos.flatMap((r) => r.partials.map((p) => ({ repo: r.repoId, ...p })));
  if (partials.length > 0) {
    const state = (p: (typeof partials)[number]): string =>
      p.inUse ? 'being written' : p.writer === 'raven' ? 'resumed by the next download' : 'left by another tool';
    const prow = [['PARTIAL DOWNLOAD', 'SIZE', 'MODIFIED', 'STATE', 'PATH']];
    for (const p of partials) prow.push([p.repo, formatBytes(p.size), p.modified.toISOString().slice(0, 19).replace('T', ' '), state(p), p.path]);
    const bytes = partials.reduce((n, p) => n + p.size, 0);
    io.stdout.write(`\n${table(prow)}\n${partials.length} unfinished download${partials.length === 1 ? '' : 's'}, ${formatBytes(bytes)}; \`kaun-hf cache clear --incomplete\` removes those not being written\n`);
  }
  return 0;
}

async function cacheClearIncomplete(repo: string | undefined, cacheDir: string, io: CliIo): Promise<number> {
  const result = await clearCache(repo === undefined ? { cacheDir, incomplete: true } : { cacheDir, modelId: repo, incomplete: true });
  for (const p of result.partialsRemoved) io.stdout.write(`removed ${p}\n`);
  for (const p of result.partialsInUse) io.stdout.write(`kept ${p} (being written; run again when that download ended)\n`);
  io.stdout.write(
    result.partialsRemoved.length === 0 && result.partialsInUse.length === 0
      ? `no unfinished downloads in ${cacheDir}\n`
      : `freed ${formatBytes(result.freedBytes)} in ${cacheDir}\n`,
  );
  return 0;
}

async function cacheClear(positionals: string[], flags: Set<string>, options: HubOptions, io: CliIo): Promise<number> {
  const cacheDir = resolveHubConfig(options).cacheDir;
  const yes = flags.has('yes');
  const [repo, extra] = positionals;
  if (extra !== undefined) throw new UsageError('cache clear takes at most one repository id');
  if (flags.has('incomplete')) return cacheClearIncomplete(repo, cacheDir, io);
  if (repo === undefined && !yes) {
    const repos = await listCache({ cacheDir });
    if (repos.length === 0) {
      io.stdout.write(`nothing to remove in ${cacheDir}\n`);
      return 0;
    }
    const size = repos.reduce((n, r) => n + r.sizeOnDisk + r.incompleteBytes, 0);
    const what = `all ${repos.length} repositor${repos.length === 1 ? 'y' : 'ies'} (${formatBytes(size)}) in ${cacheDir}`;
    if (io.prompt === undefined) {
      throw new UsageError(`cache clear without a repository deletes ${what}; add --yes to confirm, or name one repository`);
    }
    const answer = (await io.prompt(`Delete ${what}? [y/N] `)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') {
      io.stderr.write('nothing deleted\n');
      return 1;
    }
  }
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

/** The process's streams; questions are asked on the terminal when stdin is one. */
function processIo(): CliIo {
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr };
  if (process.stdin.isTTY) {
    io.prompt = async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    };
  }
  return io;
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
  io: CliIo = processIo(),
): Promise<number> {
  try {
    const parsed = parseArgs(argv, SPEC);
    const { positionals, values, flags } = parsed;
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
    if (command === 'download') return await download({ ...parsed, positionals: rest }, options, io);
    if (command === 'upload') return await upload({ ...parsed, positionals: rest }, options, io);
    if (command === 'repo') return await repoCommand(rest, parsed, options, io);
    if (command === 'cache') {
      const [sub, ...args] = rest;
      if (sub === 'ls' || sub === 'list') {
        if (args.length > 0) throw new UsageError('cache ls takes no arguments');
        return await cacheLs(options, io);
      }
      if (sub === 'clear') return await cacheClear(args, flags, options, io);
      throw new UsageError(`unknown cache command "${sub ?? ''}"; expected "cache ls" or "cache clear [repo]"`);
    }
    throw new UsageError(`unknown command "${command}"; expected download, upload, repo create, cache ls or cache clear`);
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
