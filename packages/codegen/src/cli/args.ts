/** Parsed command line: positionals, and options (repeatable ones as arrays). */
export interface ParsedArgs {
  readonly positionals: string[];
  readonly options: Record<string, string[]>;
  readonly flags: Set<string>;
}

/** What a command accepts: flags without a value, options with one, and how many positionals. */
export interface ArgsSpec {
  readonly booleans?: readonly string[];
  readonly valued?: readonly string[];
  readonly positionals?: number;
}

/** A command-line mistake: printed with the command's usage, exit code 2. */
export class UsageFailure extends Error {}

/**
 * `--name value`, `--name=value` and boolean `--flag`; `-h`/`--help` anywhere.
 * Unknown options are rejected before any value is read, so a typo is named as such.
 */
export function parseArgs(argv: readonly string[], spec: ArgsSpec): ParsedArgs {
  const positionals: string[] = [];
  const options: Record<string, string[]> = {};
  const flags = new Set<string>();
  const booleans = spec.booleans ?? [];
  const valued = spec.valued ?? [];
  const known = () =>
    [...valued.map((v) => `--${v} <value>`), ...booleans.map((b) => `--${b}`)].join(', ') || 'none';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      flags.add('help');
      continue;
    }
    if (!arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (!arg.startsWith('--'))
      throw new UsageFailure(`unknown option ${arg} (options: ${known()})`);
    const [name, inline] = arg.slice(2).split(/=(.*)/s);
    if (booleans.includes(name)) {
      if (inline !== undefined) throw new UsageFailure(`option --${name} takes no value`);
      flags.add(name);
      continue;
    }
    if (!valued.includes(name))
      throw new UsageFailure(`unknown option --${name} (options: ${known()})`);
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) {
      throw new UsageFailure(`option --${name} needs a value`);
    }
    (options[name] ??= []).push(value);
  }
  const allowed = spec.positionals ?? 0;
  if (!flags.has('help') && positionals.length > allowed) {
    throw new UsageFailure(
      `unexpected argument${positionals.length - allowed > 1 ? 's' : ''}: ${positionals.slice(allowed).join(' ')}`,
    );
  }
  return { positionals, options, flags };
}

export function single(args: ParsedArgs, name: string): string | undefined {
  const values = args.options[name];
  if (values && values.length > 1)
    throw new UsageFailure(`option --${name} is given ${values.length} times`);
  return values?.[0];
}
