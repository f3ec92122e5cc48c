import type { Node } from 'ts-morph';
import type { SourceLocation } from '../model/job-graph';

/** Where `node` starts, with the length of its first line (what a code frame underlines). */
export function locationOf(node: Node): SourceLocation {
  const sourceFile = node.getSourceFile();
  const { line, column } = sourceFile.getLineAndColumnAtPos(node.getStart());
  return { file: sourceFile.getFilePath(), line, column, length: spanOf(node) };
}

/** Length to underline: the node's text up to the end of its first line. */
export function spanOf(node: Node): number {
  return node.getText().split('\n')[0].length;
}
