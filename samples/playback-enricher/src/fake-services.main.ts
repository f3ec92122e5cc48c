import { FakeServices } from './fake-services';

/**
 * The fake playback-history and video-metadata services on a local port, until
 * Ctrl-C: `node dist/fake-services.main.js` (FAKE_PORT, FAKE_LATENCY_MS,
 * FAKE_ERROR_RATE from the environment). Prints the URLs to export.
 */
async function main(): Promise<void> {
  const number = (name: string, fallback: number) => {
    const n = Number(process.env[name] ?? fallback);
    if (!Number.isFinite(n) || n < 0)
      throw new Error(`${name} must be a number >= 0, got "${process.env[name]}"`);
    return n;
  };
  const services = new FakeServices({
    latencyMs: number('FAKE_LATENCY_MS', 5),
    errorRate: number('FAKE_ERROR_RATE', 0),
  });
  const url = await services.start(number('FAKE_PORT', 7070));
  console.log(
    `fake services on ${url}\n  export PLAYBACK_HISTORY_URL=${url} VIDEO_METADATA_URL=${url}`,
  );
  const report = setInterval(() => {
    console.log(
      `history calls: ${services.historyCalls}, most in flight: ${services.maxInFlight}, most per second: ${services.maxCallsPerSecond()}`,
    );
  }, 5000);
  process.once('SIGINT', () => {
    clearInterval(report);
    void services.stop();
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
