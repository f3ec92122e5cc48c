import { keyedJob, twoStages } from './keyed-job-fixture';
import { analyzeSource, diagnosticsOf } from './virtual-project';

/** The job's sinks with `copy` among them, before the side outputs' and dead letters'. */
const sinks = (copy: string) => `@Sink('top') ${copy} @Sink('late') @Sink('dead-letters')`;

describe('a sink copying a stream (fan-out)', () => {
  it('accepts a copy of the stream the keyed stage reads; the main output still has its sink', () => {
    const result = analyzeSource(
      keyedJob({ sinks: sinks(`@Sink('counts', { stream: 'auction-counts' })`) }),
    );
    expect(result.diagnostics).toEqual([]);
    const graph = result.jobs[0].graph;
    expect(graph.output).toBe('top');
    expect(graph.sinks.map((s) => [s.name, s.stream])).toEqual([
      ['top', undefined],
      ['counts', 'auction-counts'],
      ['late', undefined],
      ['dead-letters', undefined],
    ]);
    // the stream between two keyed stages
    const between = twoStages().replace(
      `@Sink('top')`,
      `@Sink('top') @Sink('tops', { stream: 'tops' })`,
    );
    expect(diagnosticsOf(between)).toEqual([]);
  });

  it('accepts a copy of a source, the stream before the operator', () => {
    expect(diagnosticsOf(keyedJob({ sinks: sinks(`@Sink('copy', { stream: 'bids' })`) }))).toEqual(
      [],
    );
  });

  it('SG2006: a stream a sink cannot copy', () => {
    const typo = keyedJob({ sinks: sinks(`@Sink('counts', { stream: 'auction-count' })`) });
    expect(diagnosticsOf(typo)).toEqual([
      `17:40 SG2006 sink "counts" copies stream "auction-count", which it cannot: a sink can copy a source, a stage's output, a stream a keyed stage reads, or the stream the operator or a keyed stage writes for stages to read (job TopAuctions: "bids", "auction-counts"); did you mean "auction-counts"?`,
    ]);
    const withoutStages = keyedJob({
      job: `{ name: 'TopAuctions', deadLetters: 'dead-letters' }`,
      sinks: sinks(`@Sink('copy', { stream: 'top' })`),
      op: `{ input: 'bids', output: 'top', sideOutputs: { late: 'late' } }`,
    });
    expect(diagnosticsOf(withoutStages)).toEqual([
      `17:38 SG2006 sink "copy" copies stream "top", which it cannot: a sink can copy a source, a stage's output, a stream a keyed stage reads, or the stream the operator or a keyed stage writes for stages to read (job TopAuctions: "bids")`,
    ]);
  });

  it('SG2006: a copy going to the main output’s sink, a side output’s or the dead letters’', () => {
    const main = keyedJob({
      job: `{ name: 'TopAuctions', deadLetters: 'dead-letters', output: 'top', stages: [TopPerCategory] }`,
      sinks: `@Sink('top', { stream: 'auction-counts' }) @Sink('late') @Sink('dead-letters')`,
    });
    expect(diagnosticsOf(main)).toEqual([
      `17:24 SG2006 sink "top" copies stream "auction-counts" and is also the main output of job TopAuctions: the two would mix in one sink; declare another @Sink for the copy`,
    ]);
    const late = `@Sink('top') @Sink('late', { stream: 'auction-counts' }) @Sink('dead-letters')`;
    expect(diagnosticsOf(keyedJob({ sinks: late }))).toEqual([
      `17:38 SG2006 sink "late" copies stream "auction-counts" and is also the sink of side output "late": the two would mix in one sink; declare another @Sink for the copy`,
    ]);
    const dead = `@Sink('top') @Sink('late') @Sink('dead-letters', { stream: 'auction-counts' })`;
    expect(diagnosticsOf(keyedJob({ sinks: dead }))).toEqual([
      `17:60 SG2006 sink "dead-letters" copies stream "auction-counts" and is also the dead letters' sink: the two would mix in one sink; declare another @Sink for the copy`,
    ]);
  });

  it('SG2006: one stream copied to two sinks', () => {
    const twice = sinks(
      `@Sink('counts', { stream: 'auction-counts' }) @Sink('again', { stream: 'auction-counts' })`,
    );
    expect(diagnosticsOf(keyedJob({ sinks: twice }))).toEqual([
      `17:85 SG2006 stream "auction-counts" is copied to sinks "counts" and "again"; a stream goes to one sink`,
    ]);
  });
});
