export type * from './model/job-graph';
export { DIAGNOSTIC_CODES, type Diagnostic, type DiagnosticCode } from './model/diagnostic';
export {
  formatDiagnostic,
  formatDiagnosticLine,
  formatDiagnostics,
} from './model/format-diagnostics';
export { loadProject, analyzeProject, type ProjectAnalysis } from './analyze/analyze-project';
export type { JobAnalysis } from './analyze/job-class';
export {
  generate,
  writeGenerated,
  checkGenerated,
  jobFiles,
  generatedDirOf,
  type GenerationResult,
  type DriftReport,
} from './generate';
export { renderGraph, type GraphFormat } from './emit/graph.emitter';
export type { GeneratedFile } from './emit/generated-file';
export { celEnvironment, type CelEnvironment } from './router/cel-environment';
export { compileCel } from './router/compile-cel';
export { type RouterAnalysis } from './router/analyze-routers';
