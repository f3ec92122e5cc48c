export * from './model';
export { WINDOW_MS, windowOf, beats } from './windows';
export { CountBids } from './count-bids.job';
export { TopPerCategory } from './top-per-category.stage';
export { generateBids, type BidGeneratorOptions } from './bid-generator';
export { referenceTop, inOrder } from './reference';
export { topAuctionsJob } from './top-auctions.spec';
