import type { JobSpec } from '@stream-gen/runtime';
import { assetViewSpec } from './generated/asset-view.runner.generated';
import { AssetView } from './asset-view.job';

/** The generated AssetView spec with a plain instance per task (no Nest container needed). */
export function assetViewJob(): JobSpec {
  return assetViewSpec(() => new AssetView());
}
