/**
 * Checks a binding by loading it in a child process (a crash there cannot take the installer
 * down) and running one op: `AddV2([1, 2], [1, 2])` must give `[2, 4]`. Reports what TensorFlow
 * says about itself.
 * @module
 */
import { runChild } from '../child.js';
import { NativeInstallError } from '../errors.js';

/** What a loaded binding reports. */
export interface BindingReport {
  /** `TF_Version()` of the library actually loaded. */
  tensorflowVersion: string;
  /** Whether tfjs-node places ops on a GPU (TensorFlow listed one). */
  gpu: boolean;
  /** The device tfjs-node runs ops on. */
  executionDevice: string | null;
  /** Every device TensorFlow lists (`type` is `CPU`, `GPU`, ...). */
  devices: { name: string; type: string }[];
  /** The resolved path of the TensorFlow library the C API came from. */
  library: string | null;
  /** `binding.raven.hookVersion`, or `null` for a binding built without the hook. */
  hookVersion: number | null;
}

const SCRIPT = `
const b = require(process.argv[1]);
const x = b.createTensor([2], b.TF_FLOAT, new Float32Array([1, 2]));
const out = b.executeOp('AddV2', [{ name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT }], [x, x], 1);
const sum = Array.from(b.tensorDataSync(out[0].id));
if (sum[0] !== 2 || sum[1] !== 4) throw new Error('AddV2([1, 2], [1, 2]) gave ' + JSON.stringify(sum));
const r = b.raven;
process.stdout.write('\\n' + JSON.stringify({
  tensorflowVersion: b.TF_Version,
  gpu: b.isUsingGpuDevice(),
  executionDevice: r ? r.executionDevice() : null,
  devices: r ? r.devices() : [],
  library: r ? r.libraryPath() : null,
  hookVersion: r ? r.hookVersion : null,
}) + '\\n');
`;

/** The environment TensorFlow is loaded with: its info log lines off (warnings stay) unless the user set a level. @internal */
export function quietTensorflowEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, TF_CPP_MIN_LOG_LEVEL: env['TF_CPP_MIN_LOG_LEVEL'] ?? '1' };
}

/**
 * Loads the binding at `path` in a child process and runs one op.
 * @throws NativeInstallError `check` with the child's messages.
 * @internal
 */
export async function verifyBinding(path: string): Promise<BindingReport> {
  const r = await runChild(process.execPath, ['-e', SCRIPT, path], { timeoutMs: 300_000, env: quietTensorflowEnv() });
  const line = r.stdout?.trim().split('\n').pop();
  if (r.status === 0 && line) return JSON.parse(line) as BindingReport;
  const why = (r.stderr || String(r.error ?? '')).trim().split('\n').slice(-20).join('\n');
  throw new NativeInstallError('check', `the built binding ${path} does not work (${r.signal ?? `exit ${r.status}`}):\n${why}`);
}
