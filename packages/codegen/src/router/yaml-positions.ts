import { LineCounter, type Node as YamlNode, type Scalar } from 'yaml';
import type { SourceLocation } from '../model/job-graph';

/** Turns offsets into a YAML file into `file:line:col` locations. */
export class YamlPositions {
  readonly lineCounter = new LineCounter();

  constructor(
    readonly file: string,
    readonly text: string,
  ) {}

  at(offset: number, length = 1): SourceLocation {
    const { line, col } = this.lineCounter.linePos(offset);
    return { file: this.file, line, column: col, length };
  }

  /** Where a node starts, underlining it (its first line). */
  of(node: YamlNode | null | undefined, fallback = 0): SourceLocation {
    const range = node?.range;
    if (!range) return this.at(fallback);
    const [start, end] = range;
    const firstLine = this.text.slice(start, end).split('\n')[0];
    return this.at(start, Math.max(1, firstLine.length));
  }

  /**
   * Locates each character of a scalar's value in the file, so a diagnostic about an
   * expression points into it. Plain and quoted scalars without escapes and block
   * scalars map exactly (each line of the value is found in the file in order); for
   * the others (folded lines, escapes) every offset maps to the scalar's start.
   */
  locator(scalar: Scalar): (offset: number) => SourceLocation {
    const value = String(scalar.value);
    const [start, end] = scalar.range ?? [0, 0];
    const lineStarts: number[] = [];
    let cursor = start;
    for (const line of value.split('\n')) {
      const found = line === '' ? cursor : this.text.indexOf(line, cursor);
      if (found < 0 || found > end) return () => this.of(scalar);
      lineStarts.push(found);
      cursor = found + line.length;
    }
    return (offset) => {
      const lines = value.slice(0, offset).split('\n');
      const index = Math.min(lines.length - 1, lineStarts.length - 1);
      return this.at(lineStarts[index] + lines[lines.length - 1].length);
    };
  }
}
