import { IndentationText, Project, QuoteKind, type SourceFile } from 'ts-morph';

/** A file the generator writes (absolute path + text). */
export interface GeneratedFile {
  readonly path: string;
  readonly text: string;
}

const scratch = new Project({
  useInMemoryFileSystem: true,
  manipulationSettings: { indentationText: IndentationText.TwoSpaces, quoteKind: QuoteKind.Single },
});

/**
 * Builds a file with ts-morph structures in a scratch project, formats it with the
 * TypeScript formatter (deterministic), and returns its text with the header.
 */
export function buildFile(
  path: string,
  header: string,
  build: (file: SourceFile) => void,
): GeneratedFile {
  const file = scratch.createSourceFile(path, '', { overwrite: true });
  build(file);
  file.formatText({ indentSize: 2, convertTabsToSpaces: true });
  const text = header + '\n' + file.getFullText().replace(/\n{3,}/g, '\n\n');
  scratch.removeSourceFile(file);
  return { path, text };
}
