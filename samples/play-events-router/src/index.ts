export type { Device, PlayEvent } from './model';
export { generatePlayEvents } from './generate-data';
export { referenceRoutes } from './reference';
export { playEventsRouterSpec } from './generated/play-events-router.router.generated';
