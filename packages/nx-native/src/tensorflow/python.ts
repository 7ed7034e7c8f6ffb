/**
 * TensorFlow found through a Python interpreter: the folder of its `tensorflow` package (what
 * `tf.sysconfig.get_lib()` returns, found without importing TensorFlow, which takes seconds).
 * @module
 */
import { runChild } from '../child.js';
import { NativeInstallError } from '../errors.js';
import { describeFolder, type TensorflowInstall } from './install.js';

const PROBE = [
  'import importlib.util, json, sys',
  "spec = importlib.util.find_spec('tensorflow')",
  'locs = list(spec.submodule_search_locations or []) if spec else []',
  "print(json.dumps({'executable': sys.executable, 'version': sys.version.split()[0], 'tensorflow': locs[0] if locs else None}))",
].join('\n');

/** What one interpreter said. */
interface Probe {
  executable: string;
  version: string;
  tensorflow: string | null;
}

/** Runs the probe with `python`; `undefined` when it cannot be run at all. */
async function probe(python: string): Promise<Probe | undefined> {
  const r = await runChild(python, ['-c', PROBE], { timeoutMs: 60_000, env: { ...process.env, PYTHONWARNINGS: 'ignore' } });
  if (r.error || r.status !== 0) return undefined;
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Probe;
  } catch {
    return undefined;
  }
}

/**
 * The interpreters to ask, in order: `python` when given, else `$RAVEN_PYTHON` when set, then
 * `python3` and `python` on PATH.
 * @internal
 */
export function pythonCandidates(python: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  if (python) return [python];
  const list = [env['RAVEN_PYTHON'], 'python3', 'python'].filter((x): x is string => !!x);
  return [...new Set(list)];
}

/**
 * The TensorFlow of the first interpreter that has one.
 * @throws NativeInstallError `no-python` when no interpreter runs, `no-tensorflow` when none has
 * a `tensorflow` package (or its folder lacks the C library).
 * @internal
 */
export async function fromPython(python: string | undefined, log: (line: string) => void): Promise<TensorflowInstall> {
  const candidates = pythonCandidates(python);
  const asked: string[] = [];
  for (const exe of candidates) {
    const p = await probe(exe);
    if (!p) continue;
    asked.push(`${p.executable} (Python ${p.version})`);
    if (p.tensorflow) {
      log(`using the TensorFlow of Python ${p.executable}: ${p.tensorflow}`);
      return describeFolder(p.tensorflow, 'python', p.executable);
    }
  }
  if (asked.length === 0) {
    throw new NativeInstallError(
      'no-python',
      `no Python interpreter runs (tried ${candidates.join(', ')}): pass a TensorFlow wheel or folder ` +
        '(`raven-nx-native install tensorflow_cpu-2.21.0-*.whl`), or install Python and `pip install tensorflow-cpu`',
    );
  }
  throw new NativeInstallError(
    'no-tensorflow',
    `no TensorFlow in ${asked.join(', ')}: \`pip install tensorflow-cpu\` (CPU) or \`pip install 'tensorflow[and-cuda]'\` (CUDA 12), ` +
      'or pass a wheel (`pip download --no-deps tensorflow-cpu` gets one) or a tensorflow/ folder',
  );
}
