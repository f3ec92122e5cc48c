import { analyzeProject, loadProject } from '../analyze/analyze-project';
import { renderGraph } from '../emit/graph.emitter';
import { renderSvg } from '../emit/svg';
import { formatDiagnostics } from '../model/format-diagnostics';
import { single, UsageFailure } from './args';
import type { Command } from './command';
import { projectDir } from './project-dir';

const FORMATS = ['mermaid', 'dot', 'json', 'svg'] as const;
type Format = (typeof FORMATS)[number];

export const graphCommand: Command = {
  name: 'graph',
  summary: 'print the topology of a job (mermaid, dot, json or svg)',
  usage: `stream-gen graph <Job> [--project <dir>] [--format mermaid|dot|json|svg (default mermaid)]

  --project <dir>  the project (default: the current directory)
  --format svg     the dot graph laid out and drawn, as a standalone SVG document
Example:
  npx stream-gen graph ImpressionJoin --project samples/impression-join --format mermaid
  npx stream-gen graph ImpressionJoin --project samples/impression-join --format svg > job.svg`,
  args: { valued: ['project', 'format'], positionals: 1 },
  async run(args, io) {
    const [jobName] = args.positionals;
    if (!jobName) throw new UsageFailure('name the job, e.g. stream-gen graph ImpressionJoin');
    const format = (single(args, 'format') ?? 'mermaid') as Format;
    if (!FORMATS.includes(format))
      throw new UsageFailure(`--format must be one of ${FORMATS.join(', ')}, not "${format}"`);
    const dir = projectDir(args);
    const analysis = analyzeProject(loadProject(dir), dir);
    if (analysis.diagnostics.length > 0) {
      io.err(formatDiagnostics(analysis.diagnostics));
      return 1;
    }
    const job = analysis.jobs.find((j) => j.graph.name === jobName);
    if (!job) {
      io.err(
        `no job "${jobName}" in ${dir} (jobs: ${analysis.jobs.map((j) => j.graph.name).join(', ') || 'none'})`,
      );
      return 1;
    }
    io.out(
      format === 'svg'
        ? await renderSvg(renderGraph(job.graph, 'dot'))
        : renderGraph(job.graph, format),
    );
    return 0;
  },
};
