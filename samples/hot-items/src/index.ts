export * from './model';
export { HotItems, WINDOW_SIZE_MS, WINDOW_SLIDE_MS } from './hot-items.job';
export { HottestAuctions, type WindowTop } from './hot-items.stage';
export { generateBids, type BidGeneratorOptions } from './bid-generator';
export { referenceHotItems, inOrder } from './reference';
export { hotItemsJob } from './hot-items.spec';
