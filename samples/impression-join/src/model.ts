/** An impression: a title shown to a profile in a row at a rank. `ts` is event time, epoch ms. */
export interface Impression {
  impressionId: string;
  profileId: string;
  titleId: string;
  ts: number;
  row: number;
  rank: number;
}

export interface Play {
  playId: string;
  profileId: string;
  titleId: string;
  ts: number;
}

/** One per play: the impressions of the same profile and title in the hour before it. */
export interface Conversion {
  playId: string;
  profileId: string;
  titleId: string;
  playTs: number;
  impressionCount: number;
  firstImpressionTs: number | null;
  lastImpressionId: string | null;
  lastImpressionRow: number | null;
  lastImpressionRank: number | null;
}

export const joinKey = (e: { profileId: string; titleId: string }) => `${e.profileId}_${e.titleId}`;
