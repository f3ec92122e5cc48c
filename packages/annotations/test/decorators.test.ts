import {
  AsyncEnrich,
  Chain,
  CoProcess,
  FilterElement,
  FlatMapElement,
  MapElement,
  KeyBy,
  KeyedProcess,
  LookupTable,
  ProcessElement,
  readJobMetadata,
  Sink,
  Source,
  State,
  StreamJob,
  Timer,
  toMillis,
  Union,
} from '../src';

interface Click {
  user: string;
  ts: number;
}

@StreamJob({ deadLetters: 'dlq', onError: { retries: 2, then: 'fail' } })
@Source<Click>('a', { eventTime: 'ts', maxOutOfOrderness: '5s', maxFuture: '2h' })
@Source<Click>('b', { eventTime: (c) => c.ts, maxRecordBytes: 4096 })
@Sink('out')
@Sink('dlq')
@CoProcess({ inputs: ['a', 'b'], output: 'out' })
class Joined {
  @State({ ttl: '1h' }) seen!: unknown;

  @ProcessElement('a')
  @KeyBy('user')
  onA(_c: Click) {}

  @KeyBy((c: Click) => c.user)
  @ProcessElement('b')
  onB(_c: Click) {}

  @Timer('processing')
  onTimer(_ts: number) {}
}

class Enricher {
  @LookupTable({ refresh: '1m' })
  async load() {}

  @AsyncEnrich({ source: 'a', concurrency: 4 })
  async enrich(c: Click) {
    return c;
  }
}

describe('decorators', () => {
  it('only record metadata, on the class, in declaration order', () => {
    const meta = readJobMetadata(Joined);
    expect(meta.job).toEqual({
      deadLetters: 'dlq',
      onError: { retries: 2, then: 'fail' },
      name: 'Joined',
    });
    expect(meta.sources.map((s) => s.name)).toEqual(['b', 'a']);
    expect(meta.sources.map((s) => s.maxRecordBytes ?? s.maxFuture)).toEqual([4096, '2h']);
    expect(meta.sinks.map((s) => s.name)).toEqual(['dlq', 'out']);
    expect(meta.operator).toEqual({ kind: 'coProcess', inputs: ['a', 'b'], output: 'out' });
    expect(meta.handlers.map((h) => [h.method, h.source, typeof h.key])).toEqual([
      ['onA', 'a', 'string'],
      ['onB', 'b', 'function'],
    ]);
    expect(meta.states).toEqual([{ ttl: '1h', property: 'seen' }]);
    expect(meta.timers).toEqual([{ method: 'onTimer', domain: 'processing' }]);
    expect(readJobMetadata(Enricher)).toMatchObject({
      lookups: [{ method: 'load', refresh: '1m' }],
      enrichers: [{ method: 'enrich', source: 'a', concurrency: 4 }],
    });
  });

  it('parse durations and quote the bad ones', () => {
    expect([
      toMillis(250),
      toMillis('250ms'),
      toMillis('10s'),
      toMillis('5m'),
      toMillis('1h'),
      toMillis('1d'),
    ]).toEqual([250, 250, 10_000, 300_000, 3_600_000, 86_400_000]);
    expect(() => toMillis('10 seconds' as never)).toThrow(`"10 seconds" is not a duration`);
    expect(() => toMillis(-1)).toThrow(/is not a duration/);
  });
});

describe('chain stages', () => {
  @Chain({ id: 'parse', input: 'lines', output: 'clicks' })
  class Parse {
    @FlatMapElement() split(line: string): Click[] {
      return line.split(';').map((p) => JSON.parse(p) as Click);
    }
    @FilterElement() real(c: Click): boolean {
      return c.user !== 'bot';
    }
    @MapElement() lower(c: Click): Click {
      return { ...c, user: c.user.toLowerCase() };
    }
  }

  @StreamJob({ name: 'Chained', stages: [Parse], output: 'out' })
  @Source('lines')
  @Sink('out')
  class Chained {}

  it('records the stage, its steps in declared order, and the job listing it', () => {
    expect(readJobMetadata(Parse).chain).toEqual({
      id: 'parse',
      input: 'lines',
      output: 'clicks',
      steps: [
        { method: 'split', kind: 'flatMap' },
        { method: 'real', kind: 'filter' },
        { method: 'lower', kind: 'map' },
      ],
    });
    expect(readJobMetadata(Chained).job).toMatchObject({ stages: [Parse], output: 'out' });
    expect(readJobMetadata(Chained).chain).toBeUndefined();
  });
});

describe('keyed stages', () => {
  interface Count {
    user: string;
    n: number;
  }

  @KeyedProcess({ id: 'top', input: 'counts', output: 'tops' })
  class Top {
    @State() best!: unknown;

    @ProcessElement('counts')
    @KeyBy((c: Count) => c.user)
    onCount(_c: Count) {}

    @Timer()
    onTimer(_ts: number) {}
  }

  @StreamJob({ name: 'Tops', stages: [Top], output: 'out' })
  @Source<Click>('clicks', { eventTime: 'ts' })
  @Sink('out')
  @KeyedProcess({ input: 'clicks', output: 'counts' })
  class Tops {}

  it('records the stage id with its @KeyedProcess, and its members as an operator’s', () => {
    const meta = readJobMetadata(Top);
    expect(meta.operator).toEqual({ kind: 'process', id: 'top', input: 'counts', output: 'tops' });
    expect(meta.handlers.map((h) => [h.method, h.source, typeof h.key])).toEqual([
      ['onCount', 'counts', 'function'],
    ]);
    expect(meta.states).toEqual([{ property: 'best' }]);
    expect(meta.timers).toEqual([{ method: 'onTimer', domain: 'event' }]);
    expect(readJobMetadata(Tops).job).toMatchObject({ stages: [Top], output: 'out' });
    expect(readJobMetadata(Tops).operator).toEqual({
      kind: 'process',
      input: 'clicks',
      output: 'counts',
    });
  });
});

describe('union and stream sinks', () => {
  @StreamJob({ name: 'AllClicks', output: 'totals' })
  @Source<Click>('web', { eventTime: 'ts' })
  @Source<Click>('app', { eventTime: 'ts' })
  @Sink('totals')
  @Sink('copies', { stream: 'per-user', topic: 'per-user-copy' })
  @Union({ inputs: ['web', 'app'], output: 'per-user', sideOutputs: { late: 'late' } })
  class AllClicks {
    @ProcessElement()
    @KeyBy('user')
    onClick(_c: Click) {}
  }

  @Union({ inputs: ['web', 'app'] })
  class PerInput {
    @ProcessElement('web')
    @KeyBy('user')
    onWeb(_c: Click) {}

    @ProcessElement('app')
    @KeyBy('user')
    onApp(_c: Click) {}
  }

  it('records @Union as the operator, with its inputs', () => {
    expect(readJobMetadata(AllClicks).operator).toEqual({
      kind: 'union',
      inputs: ['web', 'app'],
      output: 'per-user',
      sideOutputs: { late: 'late' },
    });
  });

  it('records a handler of every input without a source, and one per input with it', () => {
    expect(readJobMetadata(AllClicks).handlers).toEqual([{ method: 'onClick', key: 'user' }]);
    expect(readJobMetadata(PerInput).handlers.map((h) => [h.method, h.source])).toEqual([
      ['onWeb', 'web'],
      ['onApp', 'app'],
    ]);
  });

  it('records the stream a sink copies', () => {
    expect(readJobMetadata(AllClicks).sinks).toEqual([
      { stream: 'per-user', topic: 'per-user-copy', name: 'copies' },
      { name: 'totals' },
    ]);
  });
});
