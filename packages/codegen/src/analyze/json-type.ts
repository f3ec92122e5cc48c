import type { Node, Type } from 'ts-morph';
import { isUnsupported, shapeOfType } from '../validators';

/**
 * Why values of `type` cannot round-trip through JSON (functions, bigint, Map,
 * class instances, ...), or undefined when they can.
 */
export function checkJsonType(type: Type, location: Node, rootName: string): string | undefined {
  const result = shapeOfType(type, location, rootName);
  return isUnsupported(result) ? result.unsupported : undefined;
}
