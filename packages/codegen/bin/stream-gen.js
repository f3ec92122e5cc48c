#!/usr/bin/env node
// The `stream-gen` command: runs the compiled CLI (build it with `npx tsc -b` in a checkout).
let cli;
try {
  cli = require('../dist/cli/main.js');
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND') {
    console.error(
      'stream-gen is not built: run `npx tsc -b` at the repository root (or `npm run build`).',
    );
    process.exit(1);
  }
  throw error;
}
cli.runCli();
