/** How big the bench runs, from the command line: `--quick`, `--profile`, `--only a,b`. */
export interface BenchOptions {
  readonly mode: 'quick' | 'full';
  /**
   * Impressions generated for the Kafka workloads' input (about 1.3 events each). The
   * mock Kafka keeps about 5 MB per partition (~45 000 impressions per partition), so
   * the input is spread over 16 partitions: enough for several checkpoint intervals.
   */
  readonly impressions: number;
  /** Impressions of the join-embedded run. */
  readonly embeddedImpressions: number;
  /** Activity records (heartbeats included) of the sessions-embedded run. */
  readonly sessionEvents: number;
  /**
   * Bids of the hot-items workload (generateBids defaults: 100 auctions, 50 bids a second
   * of event time). Keyed by auction, they fill the 16 partitions unevenly (the busiest
   * holds about 1.75 × the mean: an estimated 1.5 MB for 80 000 bids, 1.9 MB for
   * 100 000, of the mock's ~5 MB); at 150 000 (not at 110 000) referenceHotItems
   * overflows the stack (it spreads every bid's time into Math.min).
   */
  readonly hotItemsBids: number;
  /** Plays enriched by the enricher workload. */
  readonly enricherPlays: number;
  /** Fixed latency of the fake playback-history service, ms. */
  readonly serviceLatencyMs: number;
  /** How long the latency workload produces at its fixed rate, s. */
  readonly latencySeconds: number;
  /** Partitions of every topic (tasks of every job). */
  readonly partitions: number;
  readonly seed: number;
  /** Run each job process under `node --cpu-prof` and summarize the profiles. */
  readonly profile: boolean;
  /** Workloads to run (default all). */
  readonly only: readonly string[] | undefined;
  /** Input rate of the latency workload instead of half the measured join maximum. */
  readonly latencyRate: number | undefined;
  /** Runs of the join with and without checkpoints (interleaved; the median of each counts). */
  readonly joinRuns: number;
  /** Passes of raw-consume over the input (the median counts). */
  readonly rawPasses: number;
  /** Before each job process, wait up to this long for other processes to quiet down. */
  readonly waitQuietMs: number;
}

const USAGE =
  'usage: npm run bench -- [--quick] [--profile] [--only <workload,...>] ' +
  '[--latency-rate <events/s>] [--wait-quiet <seconds>]';

export function parseOptions(argv: readonly string[]): BenchOptions {
  const args = [...argv];
  let quick = false;
  let profile = false;
  let only: string[] | undefined;
  let latencyRate: number | undefined;
  let waitQuietMs = 0;
  while (args.length > 0) {
    const arg = args.shift();
    if (arg === '--quick') quick = true;
    else if (arg === '--profile') profile = true;
    else if (arg === '--only') only = (args.shift() ?? '').split(',').filter(Boolean);
    else if (arg === '--latency-rate') latencyRate = Number(args.shift());
    else if (arg === '--wait-quiet') waitQuietMs = Number(args.shift()) * 1000;
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument "${arg}"\n${USAGE}`);
  }
  if (latencyRate !== undefined && !(latencyRate > 0)) {
    throw new Error(`--latency-rate needs a positive number of events/s\n${USAGE}`);
  }
  if (!(waitQuietMs >= 0)) throw new Error(`--wait-quiet needs a number of seconds\n${USAGE}`);
  const common = {
    partitions: 16,
    seed: 42,
    serviceLatencyMs: 20,
    profile,
    only,
    latencyRate,
    waitQuietMs,
  };
  return quick
    ? {
        ...common,
        mode: 'quick',
        impressions: 200_000,
        embeddedImpressions: 100_000,
        sessionEvents: 100_000,
        hotItemsBids: 80_000,
        enricherPlays: 2_000,
        latencySeconds: 10,
        joinRuns: 1,
        rawPasses: 3,
      }
    : {
        ...common,
        mode: 'full',
        impressions: 600_000,
        embeddedImpressions: 300_000,
        sessionEvents: 300_000,
        hotItemsBids: 100_000,
        enricherPlays: 6_000,
        latencySeconds: 30,
        joinRuns: 3,
        rawPasses: 5,
      };
}
