/** The embedded log as tests fill and read it: bids in, every record of a topic out. */
import { EmbeddedLog, HEADER_ID, launchJob, silentLogger, type JobSpec } from '../src';
import type { Bid } from './top-auction-job';

/** A log of two partitions holding `bids` in topic `bids`, sealed (a bounded run ends). */
export function bidsLog(bids: readonly Bid[]): EmbeddedLog {
  const log = new EmbeddedLog(2);
  log.createTopic('bids', 2);
  log.append(
    'bids',
    bids.map((b) => ({ key: b.auction, value: JSON.stringify(b), timestamp: b.ts })),
  );
  log.seal('bids');
  return log;
}

/** Every record of `topic`, partition by partition: its output id and its value. */
export function readTopic<T>(log: EmbeddedLog, topic: string): Array<{ id: string; value: T }> {
  const out: Array<{ id: string; value: T }> = [];
  for (let p = 0; p < log.partitionCount(topic); p++) {
    for (const r of log.read(topic, p, 0, 1_000_000).records) {
      out.push({ id: r.headers[HEADER_ID], value: JSON.parse(r.value) as T });
    }
  }
  return out;
}

/** Runs `job` embedded over `bids` to the end, writing to `sinks`; the log holds what it wrote. */
export async function runOnBids(
  job: JobSpec,
  bids: readonly Bid[],
  sinks: readonly string[],
  checkpointIntervalMs = 50,
): Promise<EmbeddedLog> {
  const log = bidsLog(bids);
  await launchJob({
    job,
    sinks: [...sinks],
    log,
    logger: silentLogger,
    checkpointIntervalMs,
  }).run();
  return log;
}
