import { Node, type ClassDeclaration } from 'ts-morph';
import type { DiagnosticsSink } from './diagnostics-sink';

export interface ProviderRef {
  readonly name: string;
  readonly module: string;
}

/**
 * The classes the job's constructor asks for, so the generated module can register
 * them as providers. Each must be an exported @Injectable() class of the project.
 */
export function constructorProviders(cls: ClassDeclaration, sink: DiagnosticsSink): ProviderRef[] {
  const ctor = cls.getConstructors()[0];
  if (!ctor) return [];
  const providers: ProviderRef[] = [];
  for (const param of ctor.getParameters()) {
    const declaration = param.getType().getSymbol()?.getDeclarations()[0];
    const injectable =
      declaration &&
      Node.isClassDeclaration(declaration) &&
      declaration.getDecorators().some((d) => d.getName() === 'Injectable') &&
      declaration.isExported() &&
      !declaration.getSourceFile().isInNodeModules();
    if (!injectable) {
      sink.report(
        'SG1102',
        `constructor parameter '${param.getName()}' of ${cls.getName()} must be an exported @Injectable() class of the project, so the generated module can provide it`,
        param,
      );
      continue;
    }
    providers.push({
      name: declaration.getNameOrThrow(),
      module: declaration.getSourceFile().getFilePath(),
    });
  }
  return providers;
}
