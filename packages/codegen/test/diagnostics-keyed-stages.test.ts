import { keyedJob, topStage, twoStages } from './keyed-job-fixture';
import { analyzeSource, diagnosticsOf } from './virtual-project';

describe('keyed stages', () => {
  it('accepts a keyed stage after the operator; its emissions go to the only sink left', () => {
    const result = analyzeSource(keyedJob());
    expect(result.diagnostics).toEqual([]);
    const graph = result.jobs[0].graph;
    expect(graph.output).toBe('top');
    expect(graph.keyedStages.map((s) => [s.id, s.input, s.output, s.className])).toEqual([
      ['top-auction', 'auction-counts', undefined, 'TopPerCategory'],
    ]);
    expect(graph.keyedStages[0].process.states.map((s) => s.name)).toEqual(['best']);
    expect(graph.keyedStages[0].process.handlers[0].key?.text).toBe('(c) => c.category');
  });

  it('accepts two keyed stages listed in any order, and @StreamJob output naming the sink', () => {
    expect(diagnosticsOf(twoStages())).toEqual([]);
    const named = keyedJob({
      job: `{ name: 'TopAuctions', deadLetters: 'dead-letters', output: 'top', stages: [TopPerCategory] }`,
      sinks: `@Sink('top') @Sink('audit') @Sink('late') @Sink('dead-letters')`,
    });
    expect(analyzeSource(named).jobs[0].graph.output).toBe('top');
    expect(diagnosticsOf(named)).toEqual([]);
  });

  it('SG2001: a stage id used twice, by a chain stage, or the name of the operator', () => {
    expect(diagnosticsOf(twoStages(`{ id: 'top-auction', input: 'tops' }`))).toEqual([
      `6:21 SG2001 stage id "top-auction" is used by Publish and TopPerCategory; stage ids name state and outputs, so each must be unique`,
    ]);
    // a chain stage between the operator and the keyed stage
    const chain = `@Chain({ id: 'top-auction', input: 'raw-counts', output: 'auction-counts' })
export class Label {
  @MapElement()
  label(c: AuctionCount): AuctionCount { return c; }
}
${topStage({ options: `{ id: 'CountBids', input: 'auction-counts' }` })}`;
    const op = `{ input: 'bids', output: 'raw-counts', sideOutputs: { late: 'late' } }`;
    expect(diagnosticsOf(keyedJob({ stage: chain, op, stages: 'Label, TopPerCategory' }))).toEqual([
      `11:21 SG2001 stage id "CountBids" is the name of the job's operator (class CountBids); stage ids name state and outputs, so each must be unique`,
    ]);
    const clash = chain.replace(`id: 'CountBids'`, `id: 'top-auction'`);
    expect(diagnosticsOf(keyedJob({ stage: clash, op, stages: 'Label, TopPerCategory' }))).toEqual([
      `11:21 SG2001 stage id "top-auction" is used by Label and TopPerCategory; stage ids name state and outputs, so each must be unique`,
    ]);
  });

  it('SG1002: a stage id the runtime refuses (it names tasks, state and a topic)', () => {
    const stage = topStage({ options: `{ id: 'top auction', input: 'auction-counts' }` });
    expect(diagnosticsOf(keyedJob({ stage }))).toEqual([
      `6:21 SG1002 stage id "top auction" is not valid: use letters, digits, '_', '.' or '-', starting with a letter or '_'`,
    ]);
  });

  it('SG2004: a keyed stage reading a stream that is not the operator’s output stream', () => {
    const typo = topStage({ options: `{ id: 'top-auction', input: 'auction-count' }` });
    expect(diagnosticsOf(keyedJob({ stage: typo }))).toEqual([
      `6:43 SG2004 keyed stage "top-auction" reads stream "auction-count", which is neither the operator's main output nor a keyed stage's (they write "auction-counts"); did you mean "auction-counts"?`,
      `18:40 SG1602 operator output refers to unknown sink "auction-counts" (declared sinks: "top", "late", "dead-letters"); add @Sink('auction-counts')`,
    ]);
    const noOutput = keyedJob({ op: `{ input: 'bids', sideOutputs: { late: 'late' } }` });
    expect(diagnosticsOf(noOutput)).toEqual([
      `6:43 SG2004 keyed stage "top-auction" reads stream "auction-counts", but the job's operator names no output stream: give its @KeyedProcess output: 'auction-counts'`,
    ]);
  });

  it('SG2004: keyed stages in a job without an operator', () => {
    const stateless = keyedJob({
      job: `{ name: 'TopAuctions', output: 'top', stages: [TopPerCategory] }`,
      jobClass: 'export class CountBids {}',
    });
    expect(diagnosticsOf(stateless)).toEqual([
      `6:43 SG2004 keyed stage "top-auction" follows the job's operator, but job TopAuctions has none: add @KeyedProcess({ input, output: 'auction-counts' }) to CountBids`,
    ]);
  });

  it('SG1102: a chain stage after a keyed stage takes what the stage emits', () => {
    const after = (
      takes: string,
    ) => `${topStage({ options: `{ id: 'top-auction', input: 'auction-counts', output: 'tops' }` })}
@Chain({ id: 'label', input: 'tops', output: 'labelled' })
export class Label {
  @MapElement()
  label(t: ${takes}): TopAuction { return t as TopAuction; }
}`;
    const job = (takes: string) =>
      keyedJob({
        stage: after(takes),
        stages: 'TopPerCategory, Label',
        job: `{ name: 'TopAuctions', output: 'top', deadLetters: 'dead-letters', stages: [TopPerCategory, Label] }`,
      });
    expect(diagnosticsOf(job('TopAuction'))).toEqual([]);
    expect(diagnosticsOf(job('Bid'))).toEqual([
      `18:12 SG1102 map step 'label' of stage "label" takes 'Bid', but receives 'TopAuction' (what TopPerCategory emits)`,
    ]);
  });

  it('SG2002: a stream a keyed stage writes that nothing reads', () => {
    const unread = topStage({
      options: `{ id: 'top-auction', input: 'auction-counts', output: 'tops' }`,
    });
    expect(diagnosticsOf(keyedJob({ stage: unread }))).toEqual([
      `6:69 SG2002 stream "tops" of keyed stage "top-auction" is written but never read: the last keyed stage's emissions are the job's main output; remove output, or read "tops" in a keyed or chain stage`,
    ]);
  });

  it('SG1302: a keyed stage handler without @KeyBy', () => {
    expect(diagnosticsOf(keyedJob({ stage: topStage({ keyBy: '' }) }))).toEqual([
      `9:3 SG1302 handler 'onCount' of keyed input "auction-counts" needs @KeyBy(...) to say what its key is`,
    ]);
  });

  it('SG1102: a handler whose parameter does not take what the stream before carries', () => {
    expect(diagnosticsOf(keyedJob({ stage: topStage({ takes: 'Bid' }) }))).toEqual([
      `11:18 SG1102 handler 'onCount' takes 'Bid', but stream "auction-counts" carries 'AuctionCount' (what CountBids emits): 'AuctionCount' has no field 'ts'`,
    ]);
    // the second keyed stage reads what the first one's handlers emit
    const second = twoStages().replace('onTop(top: TopAuction', 'onTop(top: Bid');
    expect(diagnosticsOf(second)).toEqual([
      `19:14 SG1102 handler 'onTop' takes 'Bid', but stream "tops" carries 'TopAuction' (what TopPerCategory emits): 'TopAuction' has no field 'ts'`,
    ]);
  });

  it('SG1304: a key selector naming a field the stream’s element type lacks', () => {
    expect(diagnosticsOf(keyedJob({ stage: topStage({ keyBy: `@KeyBy('categry')` }) }))).toEqual([
      `10:10 SG1304 @KeyBy of 'onCount': 'AuctionCount' has no field 'categry'; did you mean 'category'?`,
    ]);
  });

  it('SG2003: state or a timer in a @Chain stage, which is not keyed; a @KeyedProcess without id', () => {
    const chain = `@Chain({ id: 'label', input: 'auction-counts', output: 'top' })
export class Label {
  @State() private seen!: ValueState<number>;
  @MapElement()
  label(c: AuctionCount): AuctionCount { return c; }
  @Timer()
  onTimer(ts: number) { void ts; }
}`;
    expect(diagnosticsOf(keyedJob({ stage: chain, stages: 'Label' }))).toEqual([
      `8:3 SG2003 @State in @Chain stage Label, a stage that is not keyed: make the class a keyed stage with @KeyedProcess({ id, input }), or move it to the job's keyed operator`,
      `11:3 SG2003 @Timer in @Chain stage Label, a stage that is not keyed: make the class a keyed stage with @KeyedProcess({ id, input }), or move it to the job's keyed operator`,
    ]);
    const noId = topStage({ options: `{ input: 'auction-counts' }` });
    expect(diagnosticsOf(keyedJob({ stage: noId }))).toEqual([
      `15:73 SG2003 TopPerCategory is listed in @StreamJob stages but its @KeyedProcess has no id: add one, like @KeyedProcess({ id: 'top', input }), to make it a keyed stage`,
      `18:40 SG1602 operator output refers to unknown sink "auction-counts" (declared sinks: "top", "late", "dead-letters"); add @Sink('auction-counts')`,
    ]);
  });

  it('SG1602: a keyed stage’s own side output routed to a sink that is not declared', () => {
    const side = (target: string) =>
      topStage({
        options: `{ id: 'top-auction', input: 'auction-counts', sideOutputs: { late: '${target}' } }`,
      });
    expect(diagnosticsOf(keyedJob({ stage: side('late') }))).toEqual([]);
    expect(diagnosticsOf(keyedJob({ stage: side('lat') }))).toEqual([
      `6:82 SG1602 side output "late" of keyed stage "top-auction" refers to unknown sink "lat" (declared sinks: "top", "late", "dead-letters"); did you mean "late"?`,
    ]);
  });

  it('SG2005: an id on the job’s operator', () => {
    const withId = keyedJob({
      op: `{ id: 'count', input: 'bids', output: 'auction-counts', sideOutputs: { late: 'late' } }`,
    });
    expect(diagnosticsOf(withId)).toEqual([
      `18:21 SG2005 @KeyedProcess id makes a class a keyed stage, listed in @StreamJob stages; the operator of job CountBids is named after its class: remove the id`,
    ]);
  });

  it('SG1105: what the last keyed stage emits, with no sink named for it', () => {
    const sinks = `@Sink('top') @Sink('audit') @Sink('late') @Sink('dead-letters')`;
    expect(diagnosticsOf(keyedJob({ sinks }))).toEqual([
      `19:14 SG1105 what keyed stage "top-auction" emits is the main output of job TopAuctions, which has no sink: name one with @StreamJob({ output: '<sink>' }) (sinks: "top", "audit")`,
    ]);
  });
});
