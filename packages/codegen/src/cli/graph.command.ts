import { analyzeProject, loadProject } from '../analyze/analyze-project';
import { jobTopology, renderTopology } from '../emit/graph.emitter';
import type { RouterAnalysis } from '../router/analyze-routers';
import { routerTopology } from '../router/router-graph';
import { renderSvg } from '../emit/svg';
import { formatDiagnostics } from '../model/format-diagnostics';
import { single, UsageFailure } from './args';
import type { Command } from './command';
import { projectDir } from './project-dir';

const FORMATS = ['mermaid', 'dot', 'json', 'svg'] as const;
type Format = (typeof FORMATS)[number];

export const graphCommand: Command = {
  name: 'graph',
  summary: 'print the topology of a job or a router (mermaid, dot, json or svg)',
  usage: `stream-gen graph <Job|Router> [--project <dir>] [--format mermaid|dot|json|svg (default mermaid)]

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
    const router = analysis.routers.find((r) => r.config.name === jobName);
    if (!job && !router) {
      const routers = analysis.routers.map((r) => r.config.name);
      io.err(
        `no job "${jobName}" in ${dir} (jobs: ${analysis.jobs.map((j) => j.graph.name).join(', ') || 'none'}` +
          `${routers.length > 0 ? `; routers: ${routers.join(', ')}` : ''})`,
      );
      return 1;
    }
    const topology = job
      ? jobTopology(job.graph)
      : routerTopology((router as RouterAnalysis).config);
    io.out(
      format === 'svg'
        ? await renderSvg(renderTopology(topology, 'dot'))
        : renderTopology(topology, format),
    );
    return 0;
  },
};
