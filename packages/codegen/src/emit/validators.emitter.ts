import type { Node, Type } from 'ts-morph';
import type { JobAnalysis } from '../analyze/job-class';
import { isUnsupported, shapeOfType, writeValidators } from '../validators';
import type { GeneratedFile } from './generated-file';
import { GENERATED_HEADER } from './naming';

/**
 * `<job>.validators.generated.ts`: one validator per element type of the job's
 * sources, derived from the TypeScript declaration, so a bad record is rejected at
 * the edge with the path of what is wrong; and one per output type of its script
 * stages, so a script's output that is not one is dead-lettered.
 */
export function emitValidators(
  job: JobAnalysis,
  path: string,
  sourceLabel: string,
): { file: GeneratedFile; names: Map<string, string>; scriptNames: Map<string, string> } {
  const names = new Map<string, string>();
  const scriptNames = new Map<string, string>();
  const entries = new Map<string, Parameters<typeof writeValidators>[0][number]>();
  /** The type each function name validates (its full text, with where it is declared). */
  const typeOf = new Map<string, string>();
  const add = (type: Type, text: string, location: Node): string => {
    const base = `validate${text.replace(/\[\]/g, 'Array').replace(/[^A-Za-z0-9_]/g, '')}`;
    const identity = type.getText();
    // two types that read the same (from two modules) get two names
    let functionName = base;
    for (let n = 2; typeOf.has(functionName) && typeOf.get(functionName) !== identity; n++) {
      functionName = `${base}${n}`;
    }
    if (typeOf.has(functionName)) return functionName;
    typeOf.set(functionName, identity);
    const result = shapeOfType(type, location, text);
    // Unsupported element types were reported by the analyzer; nothing is emitted then.
    if (!isUnsupported(result)) entries.set(functionName, { functionName, shape: result.shape });
    return functionName;
  };
  for (const source of job.graph.sources) {
    const type = job.elementTypes.get(source.name);
    const text = source.elementType?.text;
    if (type && text) names.set(source.name, add(type, text, job.classDeclaration));
  }
  for (const [id, node] of job.scriptOutputs) {
    scriptNames.set(id, add(node.getType(), node.getText(), node));
  }
  const body = writeValidators(
    [...entries.values()].sort((a, b) => a.functionName.localeCompare(b.functionName)),
  );
  return {
    file: { path, text: `${GENERATED_HEADER(sourceLabel)}\n${body}` },
    names,
    scriptNames,
  };
}
