import { dirname, join } from 'node:path';
import { ts, type Project } from 'ts-morph';

/**
 * Where the project's own compiler options (its tsconfig: `rootDir`, `outDir`, or the
 * common directory of its files when `rootDir` is unset) put the JavaScript of a
 * TypeScript file of a folder: the folder it lands in. The folder itself when the
 * project has no tsconfig or emits next to its sources.
 */
export function emittedDirOf(project: Project): (sourceDir: string) => string {
  const same = (dir: string) => dir;
  const config = project.getCompilerOptions().configFilePath;
  if (typeof config !== 'string') return same;
  const parsed = ts.getParsedCommandLineOfConfigFile(config, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: () => undefined,
  });
  if (!parsed?.options.outDir) return same;
  return (dir) => {
    const file = join(dir, 'module.ts');
    // TypeScript places only the files of its command line (a generated one may not be written yet)
    const outputs = ts.getOutputFileNames(
      { ...parsed, fileNames: [...parsed.fileNames, file] },
      file,
      !ts.sys.useCaseSensitiveFileNames,
    );
    const js = outputs.find((f) => f.endsWith('.js'));
    return js ? dirname(js) : dir;
  };
}
