/**
 * The load report of `fromPretrained` (weights initialised fresh, unused, mismatched) and the
 * transformers-style warnings that tell a user about it.
 * @module
 */

/** Where load messages go: transformers-style warnings about fresh or unused weights. */
export interface Logger {
  /** Receives one warning (several lines). */
  warn(message: string): void;
}

/** What loading weights did besides building the variables. */
export interface LoadReport {
  /** Parameters the checkpoint lacked (or had in another shape), initialised fresh. */
  newlyInitialized: string[];
  /** Checkpoint keys the model does not use (buffers such as `position_ids` not listed). */
  unused: string[];
  /** Parameters whose checkpoint shape differed and that were initialised fresh (`ignoreMismatchedSizes`). */
  mismatched: Array<{ key: string; checkpoint: number[]; model: number[] }>;
}

/** `['a', 'b', ... (n more)]`. @internal */
export function listKeys(keys: readonly string[], max = 20): string {
  const shown = keys.slice(0, max).map((k) => `'${k}'`).join(', ');
  return `[${shown}${keys.length > max ? `, ... (${keys.length - max} more)` : ''}]`;
}

/** `[2, 3]`. @internal */
export const fmtShape = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * Sends transformers' two load warnings ("Some weights ... were not used", "... newly
 * initialized") to `logger` (`undefined`: the console; `false`: nowhere). @internal
 */
export function warnLoad(report: LoadReport, source: string, architecture: string, logger: Logger | false | undefined): void {
  const out = logger === undefined ? console : logger;
  if (!out) return;
  if (report.unused.length > 0) {
    out.warn(
      `Some weights of the model checkpoint at ${source} were not used when initializing ${architecture}: ${listKeys(report.unused)}\n` +
        `- This IS expected if you are initializing ${architecture} from the checkpoint of a model trained on another task or with another architecture ` +
        `(e.g. initializing a BertForSequenceClassification model from a BertForPreTraining model).`,
    );
  }
  if (report.newlyInitialized.length > 0) {
    const why = report.mismatched.map((m) => `- ${m.key}: found shape ${fmtShape(m.checkpoint)} in the checkpoint and ${fmtShape(m.model)} in the model instantiated`);
    out.warn(
      `Some weights of ${architecture} were not initialized from the model checkpoint at ${source} and are newly initialized` +
        `${why.length > 0 ? ' because the shapes did not match' : ''}: ${listKeys(report.newlyInitialized)}\n` +
        (why.length > 0 ? why.join('\n') + '\n' : '') +
        `You should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.`,
    );
  }
}
