/** jest globalTeardown: stops what global-setup.ts started (it runs after failed tests too). */
import { started, stopAll } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  await stopAll(started());
}
