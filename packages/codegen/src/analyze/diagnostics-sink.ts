import type { Node } from 'ts-morph';
import type { Diagnostic, DiagnosticCode } from '../model/diagnostic';
import type { SourceLocation } from '../model/job-graph';
import { locationOf, spanOf } from './location';
import { NotStatic, staticValue, type StaticValue } from './static-value';

/** Collects diagnostics; analysis goes on after each, so all are reported at once. */
export class DiagnosticsSink {
  readonly diagnostics: Diagnostic[] = [];

  report(code: DiagnosticCode, message: string, node: Node): void {
    this.diagnostics.push({ code, message, location: locationOf(node), length: spanOf(node) });
  }

  reportAt(
    code: DiagnosticCode,
    message: string,
    location: SourceLocation,
    length = location.length ?? 1,
  ): void {
    this.diagnostics.push({ code, message, location, length });
  }

  /** The static value of a decorator argument, or undefined after reporting SG1001. */
  value(node: Node | undefined, what: string): StaticValue | undefined {
    if (!node) return undefined;
    try {
      return staticValue(node);
    } catch (error) {
      if (!(error instanceof NotStatic)) throw error;
      this.report(
        'SG1001',
        `${what}: '${error.node.getText().slice(0, 60)}' is not a static value; use literals or a const declared with one`,
        error.node,
      );
      return undefined;
    }
  }
}
