/**
 * The `raven-nx-native` command: `install` (the default) and `--check`.
 * @module
 */
import { parseArgs } from 'node:util';
import { check } from './doctor.js';
import { NativeInstallError } from './errors.js';
import { install, type InstallOptions } from './install.js';

const HELP = `raven-nx-native: the native TensorFlow backend for @raven/nx (CPU, or CUDA 12 with a CUDA build of TensorFlow)

Usage:
  raven-nx-native [install] [TENSORFLOW] [options]   build and install @tensorflow/tfjs-node(-gpu)
  raven-nx-native --check [TENSORFLOW] [options]     explain what is there and what is missing

TENSORFLOW is a wheel file (pip download --no-deps tensorflow-cpu==2.21.0) or a tensorflow/ folder
(or a folder containing one, such as a site-packages folder). Without it, Python is asked:
$RAVEN_PYTHON, then python3, then python on PATH (pip install tensorflow-cpu, or
pip install 'tensorflow[and-cuda]' for CUDA 12).

Options:
  --python PY       the Python interpreter to ask for TensorFlow
  --project DIR     the project whose node_modules gets the package (default: current folder)
  --gpu | --cpu     install @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node
                    (default: -gpu for a CUDA build of TensorFlow)
  --cxx CXX         the C++ compiler (default $CXX, g++, c++, clang++)
  --nodedir DIR     the folder with Node's include/node headers
  --cache-dir DIR   where wheels are unpacked and builds kept
                    (default $RAVEN_CACHE_ROOT/nx-native, else ~/.cache/raven/nx-native)
  --force           rebuild even when the installed binding is up to date
  --json            print the result as JSON
  -h, --help        this text

The package is installed with npm --no-save --ignore-scripts: a later \`npm install\` or \`npm ci\`
removes it again; run this command again afterwards (it reuses its cached build).
`;

/** Runs the command with `argv` (without node and the script); returns the exit code. @internal */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        check: { type: 'boolean' },
        python: { type: 'string' },
        project: { type: 'string' },
        gpu: { type: 'boolean' },
        cpu: { type: 'boolean' },
        cxx: { type: 'string' },
        nodedir: { type: 'string' },
        'cache-dir': { type: 'string' },
        force: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`raven-nx-native: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const words = [...positionals];
  let doCheck = v.check === true;
  if (words[0] === 'install' || words[0] === 'check') doCheck ||= words.shift() === 'check';
  if (words.length > 1 || (v.gpu && v.cpu)) {
    process.stderr.write(`raven-nx-native: ${v.gpu && v.cpu ? '--gpu and --cpu exclude each other' : `one TensorFlow path expected, got ${words.join(' ')}`}\n\n${HELP}`);
    return 2;
  }
  const common = {
    ...(words[0] !== undefined ? { tensorflow: words[0] } : {}),
    ...(v.python !== undefined ? { python: v.python } : {}),
    ...(v.project !== undefined ? { project: v.project } : {}),
    ...(v.cxx !== undefined ? { cxx: v.cxx } : {}),
    ...(v.nodedir !== undefined ? { nodedir: v.nodedir } : {}),
    ...(v['cache-dir'] !== undefined ? { cacheDir: v['cache-dir'] } : {}),
  };
  const log = (line: string): void => void process.stderr.write(`raven-nx-native: ${line}\n`);

  if (doCheck) {
    const r = await check(common);
    if (v.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    else {
      for (const f of r.findings) process.stdout.write(`${f.ok ? 'ok     ' : 'MISSING'} ${f.what.padEnd(12)} ${f.detail.replace(/\n/g, '\n                     ')}\n`);
      process.stdout.write(r.working ? 'native backend: working\n' : 'native backend: not working (see MISSING above)\n');
    }
    return r.working ? 0 : 1;
  }

  const options: InstallOptions = { ...common, log, ...(v.force ? { force: true } : {}) };
  if (v.gpu) options.device = 'gpu';
  if (v.cpu) options.device = 'cpu';
  try {
    const r = await install(options);
    if (v.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    else {
      const tf = r.tensorflow;
      process.stdout.write(
        [
          `${r.status === 'installed' ? 'installed' : 'up to date:'} ${r.package} in ${r.packageDir}`,
          `  TensorFlow ${r.report.tensorflowVersion} (${tf.distribution ?? 'tensorflow'}, from ${tf.origin} ${tf.from})`,
          `  library    ${r.report.library ?? tf.libDir}`,
          `  device     ${r.report.gpu ? `GPU: ${r.report.executionDevice}` : 'CPU'} (devices: ${r.report.devices.map((d) => d.type).join(', ')})`,
          `  @raven/nx now picks the tensorflow backend (NX_BACKEND=tensorflow forces it); ${r.seconds.toFixed(1)} s`,
        ].join('\n') + '\n',
      );
    }
    return 0;
  } catch (e) {
    if (e instanceof NativeInstallError) {
      process.stderr.write(`raven-nx-native: ${e.message}\n(nothing in node_modules was changed)\n`);
      return 1;
    }
    throw e;
  }
}
