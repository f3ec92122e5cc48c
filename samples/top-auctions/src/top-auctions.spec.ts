import type { JobSpec } from '@stream-gen/runtime';
import { topAuctionsSpec } from './generated/top-auctions.runner.generated';
import { CountBids } from './count-bids.job';

/** The generated TopAuctions spec with plain instances per task (no Nest container needed). */
export function topAuctionsJob(): JobSpec {
  return topAuctionsSpec(
    () => new CountBids(),
    (stage) => new stage(),
  );
}
