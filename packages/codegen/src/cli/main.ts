#!/usr/bin/env node
import { parseArgs, UsageFailure } from './args';
import { checkpointsCommand } from './checkpoints.command';
import type { Command, Output } from './command';
import { generateCommand } from './generate.command';
import { graphCommand } from './graph.command';
import { jobsCommand } from './jobs.command';
import { newCommand } from './new.command';
import { rewindCommand } from './rewind.command';
import { runCommand } from './run.command';
import { savepointCommand } from './savepoint.command';
import { statusCommand } from './status.command';
import { validateCommand } from './validate.command';

const COMMANDS: readonly Command[] = [
  newCommand,
  generateCommand,
  validateCommand,
  graphCommand,
  runCommand,
  jobsCommand,
  statusCommand,
  checkpointsCommand,
  savepointCommand,
  rewindCommand,
];

const HELP = `stream-gen: stateful stream processing for TypeScript

Usage: stream-gen <command> [options]   (stream-gen <command> --help for details)

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(11)} ${c.summary}`).join('\n')}

Example:
  npx stream-gen new my-jobs --template joiner`;

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[], io: Output): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    io.err(HELP);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(HELP);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  try {
    const args = parseArgs(rest, command.args);
    if (args.flags.has('help')) {
      io.out(command.usage);
      return 0;
    }
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageFailure) {
      io.err(`stream-gen ${name}: ${error.message}\n\nUsage: ${command.usage}`);
      return 2;
    }
    io.err(`stream-gen ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

/** Runs the CLI on this process's arguments and sets the exit code. */
export function runCli(): void {
  const io: Output = {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
  };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) runCli();
