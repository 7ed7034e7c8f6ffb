/**
 * A fault-injection hook for testing crash safety: the file writers (`nx.io` and kaun's
 * `Checkpoint`) call {@link faultPoint} before each step that changes the disk (creating,
 * writing, syncing, renaming, linking, removing a file). With the environment variable
 * `RAVEN_FAULT_AT=N` set, the process kills itself with SIGKILL at the N-th point, as a power
 * cut or `kill -9` would; with `RAVEN_FAULT_AT=list` each point is printed to stderr as
 * `raven-fault-point <n> <label>` so a test can count them. Without the variable the hook does
 * nothing.
 * @module
 */
import { writeSync } from 'node:fs';

let count = 0;
let mode: 'off' | 'list' | number | undefined;

function modeOf(): 'off' | 'list' | number {
  if (mode === undefined) {
    const raw = process.env['RAVEN_FAULT_AT'];
    if (raw === undefined || raw === '') mode = 'off';
    else if (raw === 'list') mode = 'list';
    else {
      const n = Number(raw);
      mode = Number.isInteger(n) && n > 0 ? n : 'off';
    }
  }
  return mode;
}

/**
 * Marks a step of a write that a crash could interrupt. Does nothing unless `RAVEN_FAULT_AT`
 * is set (see the module notes).
 * @param label - what is about to happen, e.g. `rename model-00001-of-00002.safetensors`.
 * @example `nx.io.faultPoint('rename index');`
 */
export function faultPoint(label: string): void {
  const m = modeOf();
  if (m === 'off') return;
  count++;
  if (m === 'list') {
    writeSync(2, `raven-fault-point ${count} ${label}\n`);
    return;
  }
  if (count === m) {
    writeSync(2, `raven-fault-point ${count} ${label} KILL\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
