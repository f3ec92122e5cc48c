/**
 * Keyed stages with `sameKey: true`, read under the key their input was emitted with
 * (no repartition, no @KeyBy): what the analysis accepts, the key type it gives them,
 * and SG1002 / SG2007 for sameKey misused.
 */
import { keyOrigin, stageKeyType } from '../src/model/streams';
import { keyedJob, topStage } from './keyed-job-fixture';
import { analyzeSource, diagnosticsOf } from './virtual-project';

const fused = (options = `id: 'top-auction', input: 'auction-counts'`, keyBy = '') =>
  topStage({ options: `{ ${options}, sameKey: true }`, keyBy });

/** A keyed stage reading `input` (`tops`, what the top-auction stage writes). */
const publish = (options: string, keyBy = '') => `
@KeyedProcess(${options})
export class Publish {
  @ProcessElement('tops')
  ${keyBy}
  onTop(top: TopAuction, ctx: ElementContext<TopAuction>) { ctx.emit(top); }
}`;

describe('keyed stages read under the same key', () => {
  it('accepts a sameKey stage without @KeyBy after the operator: it has the operator’s key', () => {
    const result = analyzeSource(keyedJob({ stage: fused() }));
    expect(result.diagnostics).toEqual([]);
    const graph = result.jobs[0].graph;
    const [stage] = graph.keyedStages;
    expect(stage.sameKey).toBe(true);
    expect(stage.at.sameKey).toMatchObject({ line: 9, column: 70 });
    expect(stage.process.handlers[0].hasKeyBy).toBe(false);
    expect(keyOrigin(graph, stage)).toBe(graph.operator);
    // the operator is keyed by 'auction', a string
    expect(stageKeyType(graph, stage)).toBe('string');
  });

  it('gives a sameKey stage the key type of the keyed stage it reads from, through chains and sameKey stages', () => {
    const chain = `@Chain({ id: 'label', input: 'tops', output: 'labelled' })
export class Label {
  @MapElement()
  label(t: TopAuction): TopAuction { return t; }
}`;
    const job = (topKeyBy: string, publishOptions: string) =>
      analyzeSource(
        keyedJob({
          stage:
            topStage({
              options: `{ id: 'top-auction', input: 'auction-counts', output: 'tops' }`,
              keyBy: topKeyBy,
            }) +
            chain +
            publish(publishOptions).replace(`'tops'`, `'labelled'`),
          stages: 'Publish, Label, TopPerCategory',
        }),
      );
    // keyed anew by a number, then read under that key after a chain
    const byCount = job(
      '@KeyBy((c: AuctionCount) => c.count)',
      `{ id: 'publish', input: 'labelled', sameKey: true }`,
    );
    expect(byCount.diagnostics).toEqual([]);
    const graph = byCount.jobs[0].graph;
    const [top, published] = ['top-auction', 'publish'].map((id) =>
      graph.keyedStages.find((s) => s.id === id)!,
    );
    expect(keyOrigin(graph, published)).toBe(top);
    expect(stageKeyType(graph, top)).toBe('number');
    expect(stageKeyType(graph, published)).toBe('number');
    // two sameKey stages in a row keep the operator's key
    const both = analyzeSource(
      keyedJob({
        stage:
          fused(`id: 'top-auction', input: 'auction-counts', output: 'tops'`) +
          publish(`{ id: 'publish', input: 'tops', sameKey: true }`),
        stages: 'TopPerCategory, Publish',
      }),
    );
    expect(both.diagnostics).toEqual([]);
    const second = both.jobs[0].graph.keyedStages.find((s) => s.id === 'publish')!;
    expect(keyOrigin(both.jobs[0].graph, second)).toBe(both.jobs[0].graph.operator);
    expect(stageKeyType(both.jobs[0].graph, second)).toBe('string');
  });

  it('SG2007: a sameKey stage whose handler has @KeyBy (and no SG1302 without one)', () => {
    expect(
      diagnosticsOf(
        keyedJob({
          stage: fused(undefined, '@KeyBy((c: AuctionCount) => c.category)'),
        }),
      ),
    ).toEqual([
      `10:3 SG2007 keyed stage "top-auction" has sameKey: true, so it reads its input under the key it was emitted with and its handler 'onCount' takes no @KeyBy: remove @KeyBy to keep that key (no repartition), or remove sameKey to key the stage anew`,
    ]);
  });

  it('SG1002: sameKey that is not true', () => {
    const stage = (value: string, keyBy?: string) =>
      topStage({
        options: `{ id: 'top-auction', input: 'auction-counts', sameKey: ${value} }`,
        keyBy,
      });
    expect(diagnosticsOf(keyedJob({ stage: stage('false') }))).toEqual([
      `6:70 SG1002 @KeyedProcess sameKey must be true (or left out), got false`,
    ]);
    // not a sameKey stage then: its handler needs its @KeyBy
    expect(diagnosticsOf(keyedJob({ stage: stage(`'yes'`, '') }))).toEqual([
      `6:70 SG1002 @KeyedProcess sameKey must be true (or left out), got "yes"`,
      `9:3 SG1302 handler 'onCount' of keyed input "auction-counts" needs @KeyBy(...) to say what its key is`,
    ]);
  });

  it('SG2007: sameKey on the job’s own operator', () => {
    const op = `{ input: 'bids', output: 'auction-counts', sameKey: true, sideOutputs: { late: 'late' } }`;
    expect(diagnosticsOf(keyedJob({ op }))).toEqual([
      `18:67 SG2007 sameKey is for a keyed stage (a @KeyedProcess with an id, listed in @StreamJob stages), which reads what the stage before it emitted under that stage's key; the operator of job CountBids reads its input keyed by its @KeyBy: remove sameKey (a source whose topic is already partitioned by the key says so with partitionedByKey: true)`,
    ]);
  });

  it('SG2007: a sameKey stage after an @AsyncEnrich operator, which has no key', () => {
    const job = (options: string, keyBy: string) => `
import { AsyncEnrich } from '@stream-gen/annotations';
@KeyedProcess(${options})
export class Count {
  @ProcessElement('enriched')
  ${keyBy}
  onClick(c: Click, ctx: ElementContext<Click>) { ctx.emit(c); }
}
@StreamJob({ name: 'E', output: 'out', stages: [Count] })
@Source<Click>('clicks')
@Sink('out')
export class E {
  @AsyncEnrich({ source: 'clicks', output: 'enriched', concurrency: 2 })
  async enrich(c: Click): Promise<Click> { return c; }
}
`;
    // keyed anew, the stage may follow it
    expect(diagnosticsOf(job(`{ id: 'count', input: 'enriched' }`, `@KeyBy('user')`))).toEqual([]);
    const result = analyzeSource(job(`{ id: 'count', input: 'enriched', sameKey: true }`, ''));
    expect(stageKeyType(result.jobs[0].graph, result.jobs[0].graph.keyedStages[0])).toBeUndefined();
    expect(diagnosticsOf(job(`{ id: 'count', input: 'enriched', sameKey: true }`, ''))).toEqual([
      `3:58 SG2007 keyed stage "count" has sameKey: true, but the stream it reads ("enriched") comes from the @AsyncEnrich operator, which has no key: remove sameKey and key the stage with @KeyBy on its handler (through a repartition)`,
    ]);
  });
});
