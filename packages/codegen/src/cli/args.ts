/** Parsed command line: positionals, and options (repeatable ones as arrays). */
export interface ParsedArgs {
  readonly positionals: string[];
  readonly options: Record<string, string[]>;
  readonly flags: Set<string>;
}

/**
 * `--name value`, `--name=value` and boolean `--flag`. `booleans` lists the flags that
 * take no value; anything after `--` is positional.
 */
export function parseArgs(argv: readonly string[], booleans: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const options: Record<string, string[]> = {};
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') && !(arg === '-h')) {
      positionals.push(arg);
      continue;
    }
    if (arg === '-h' || arg === '--help') {
      flags.add('help');
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s);
    if (booleans.includes(name)) {
      flags.add(name);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageFailure(`option --${name} needs a value`);
    (options[name] ??= []).push(value);
  }
  return { positionals, options, flags };
}

/** A command-line mistake: printed with the command's usage, exit code 2. */
export class UsageFailure extends Error {}

export function single(args: ParsedArgs, name: string): string | undefined {
  const values = args.options[name];
  if (values && values.length > 1)
    throw new UsageFailure(`option --${name} is given ${values.length} times`);
  return values?.[0];
}

export function rejectUnknown(args: ParsedArgs, known: readonly string[]): void {
  const unknown = Object.keys(args.options).filter((o) => !known.includes(o));
  if (unknown.length > 0)
    throw new UsageFailure(`unknown option ${unknown.map((o) => `--${o}`).join(', ')}`);
}
