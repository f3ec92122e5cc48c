export * from './model';
export { AssetView, cacheKey } from './asset-view.job';
export { assetViewJob } from './asset-view.spec';
export {
  generateAssets,
  type AssetGeneratorOptions,
  type GeneratedAssets,
} from './asset-generator';
export { foldAssets, sortedView } from './reference';
