import type { ArgsSpec, ParsedArgs } from './args';

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** One `stream-gen <name>` command: usage text with an example, and what it does. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** Options it accepts and how many positionals. */
  readonly args: ArgsSpec;
  /** Returns the exit code. */
  run(args: ParsedArgs, io: Output): Promise<number>;
}
