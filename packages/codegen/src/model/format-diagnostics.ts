import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Diagnostic } from './diagnostic';

/** `path:line:col - error SGnnnn: message`, the same shape tsc prints. */
export function formatDiagnosticLine(d: Diagnostic, cwd = process.cwd()): string {
  const path = relative(cwd, d.location.file) || d.location.file;
  return `${path}:${d.location.line}:${d.location.column} - error ${d.code}: ${d.message}`;
}

/** The line, a code frame with the offending span underlined, and a blank line. */
export function formatDiagnostic(
  d: Diagnostic,
  cwd = process.cwd(),
  readText = readSource,
): string {
  const lines = readText(d.location.file)?.split(/\r?\n/);
  const header = formatDiagnosticLine(d, cwd);
  if (!lines || !lines[d.location.line - 1]) return header;
  const text = lines[d.location.line - 1];
  const gutter = String(d.location.line);
  const pad = ' '.repeat(gutter.length);
  const width = Math.max(1, Math.min(d.length ?? 1, text.length - d.location.column + 1));
  return [
    header,
    '',
    `  ${gutter} | ${text}`,
    `  ${pad} | ${' '.repeat(d.location.column - 1)}${'~'.repeat(width)}`,
  ].join('\n');
}

/** All diagnostics, sorted by file and position, with a count at the end. */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], cwd = process.cwd()): string {
  const sorted = [...diagnostics].sort(
    (a, b) =>
      a.location.file.localeCompare(b.location.file) ||
      a.location.line - b.location.line ||
      a.location.column - b.location.column,
  );
  const n = sorted.length;
  return `${sorted.map((d) => formatDiagnostic(d, cwd)).join('\n\n')}\n\nFound ${n} error${n === 1 ? '' : 's'}.`;
}

function readSource(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
