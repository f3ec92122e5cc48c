/** Runtime validators derived from TypeScript element types: type -> Shape -> generated checks. */
export {
  isUnsupported,
  shapeOfDeclaration,
  shapeOfType,
  type ArrayShape,
  type FieldShape,
  type LiteralShape,
  type ObjectShape,
  type PrimitiveShape,
  type RecursiveShape,
  type RefShape,
  type Shape,
  type ShapeResult,
  type TupleShape,
  type UnionShape,
  type Unsupported,
} from './type-shape';
export {
  describeShape,
  writeValidators,
  writeValidatorsTo,
  type ValidatorSpec,
} from './validator-writer';
