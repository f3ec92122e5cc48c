import type { JobAnalysis } from '../analyze/job-class';
import { isUnsupported, shapeOfType, writeValidators } from '../validators';
import type { GeneratedFile } from './generated-file';
import { GENERATED_HEADER } from './naming';

/**
 * `<job>.validators.generated.ts`: one validator per element type of the job's
 * sources, derived from the TypeScript declaration, so a bad record is rejected at
 * the edge with the path of what is wrong.
 */
export function emitValidators(
  job: JobAnalysis,
  path: string,
  sourceLabel: string,
): { file: GeneratedFile; names: Map<string, string> } {
  const names = new Map<string, string>();
  const entries = new Map<string, Parameters<typeof writeValidators>[0][number]>();
  for (const source of job.graph.sources) {
    const type = job.elementTypes.get(source.name);
    const text = source.elementType?.text;
    if (!type || !text) continue;
    const functionName = `validate${text.replace(/[^A-Za-z0-9_]/g, '')}`;
    names.set(source.name, functionName);
    if (entries.has(functionName)) continue;
    const result = shapeOfType(type, job.classDeclaration, text);
    // Unsupported element types were reported by the analyzer; nothing is emitted then.
    if (!isUnsupported(result)) entries.set(functionName, { functionName, shape: result.shape });
  }
  const body = writeValidators(
    [...entries.values()].sort((a, b) => a.functionName.localeCompare(b.functionName)),
  );
  return { file: { path, text: `${GENERATED_HEADER(sourceLabel)}\n${body}` }, names };
}
