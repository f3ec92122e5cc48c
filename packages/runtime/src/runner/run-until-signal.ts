import type { RunSummary } from './job-runner';
import type { Logger } from '../util/logger';

/**
 * Runs the job until it ends or the process gets SIGTERM/SIGINT; on a signal the
 * runner stops gracefully (finishes the batch in flight, takes a final checkpoint).
 */
export async function runUntilSignal(
  runner: { run(): Promise<RunSummary>; stop(): Promise<void> },
  logger?: Logger,
): Promise<RunSummary> {
  const onSignal = (signal: NodeJS.Signals) => {
    logger?.info(`${signal} received: stopping after the batch in flight, with a final checkpoint`);
    void runner.stop();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    return await runner.run();
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
