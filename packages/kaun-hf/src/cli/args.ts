/**
 * A small argv parser (no dependency): positionals, `--name value`, `--name=value`, boolean
 * flags, `--` to end options.
 * @module
 */
import { HubError } from '../errors.js';

/** Wrong command-line usage; the CLI prints it with a hint and exits with status 2. */
export class UsageError extends HubError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parsed arguments. */
export interface ParsedArgs {
  /** Arguments that are not options, in order. */
  positionals: string[];
  /** Options with values (`--revision v1`). */
  values: Record<string, string>;
  /** Boolean options that were given (`--offline`). */
  flags: Set<string>;
  /** Options that may repeat (`--include a --include b`), in order. */
  lists: Record<string, string[]>;
}

/** Which options take a value and which are booleans; short aliases map to long names. */
export interface ArgSpec {
  values: string[];
  flags: string[];
  /** Options with a value that may be given more than once. */
  lists?: string[];
  aliases?: Record<string, string>;
}

/**
 * Parses `argv` (without the node and script paths).
 * @throws {UsageError} For an unknown option or a missing value.
 */
export function parseArgs(argv: string[], spec: ArgSpec): ParsedArgs {
  const out: ParsedArgs = { positionals: [], values: {}, flags: new Set(), lists: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      out.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    let name = arg.startsWith('--') ? arg.slice(2, eq > 0 ? eq : undefined) : arg.slice(1);
    name = spec.aliases?.[name] ?? name;
    if (spec.flags.includes(name)) {
      if (eq > 0) throw new UsageError(`option --${name} takes no value, got "${arg}"`);
      out.flags.add(name);
    } else if (spec.values.includes(name) || spec.lists?.includes(name)) {
      let value: string | undefined;
      if (eq > 0) value = arg.slice(eq + 1);
      else {
        value = argv[i + 1];
        i++;
      }
      if (value === undefined || (eq < 0 && value.startsWith('--'))) {
        throw new UsageError(`option --${name} needs a value`);
      }
      if (spec.lists?.includes(name)) (out.lists[name] ??= []).push(value);
      else out.values[name] = value;
    } else {
      throw new UsageError(`unknown option "${arg}"`);
    }
  }
  return out;
}
