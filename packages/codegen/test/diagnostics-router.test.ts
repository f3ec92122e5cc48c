import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatDiagnostic } from '../src/model/format-diagnostics';
import { analyzeRouterSource, routerDiagnostics } from './router-fixture';

/** A router with one route, its lines given after `routes:` (indented by 2 more). */
const router = (route: string, head = '') =>
  `router: PlayEventsRouter\n${head}source:\n  topic: play_events\n  type: PlayEvent\nroutes:\n${route}`;

describe('router files', () => {
  it('accepts a router whose expressions fit the source type', () => {
    const analysis = analyzeRouterSource(
      router(
        [
          '  - name: long-us-plays',
          '    filter: durationMs > 60000 && country == "US" && device.kind == "tv"',
          '    project:',
          '      profileId: profileId',
          '      minutes: durationMs / 60000.0',
          '      mobile: device.kind in ["phone"]',
          '      firstTag: "size(tags) > 0 ? tags[0] : \\"\\""',
          '    sink: { kind: kafka, topic: long_plays }',
          '  - name: all',
          '    project: [profileId, titleId]',
          '    sink: { kind: postgres, table: plays }',
          '  - name: tagged',
          "    filter: \"'kids' in tags || attributes['genre'] == 'drama'\"",
          '    sink: { kind: redis, stream: tagged-plays }',
          '    isolated: true',
          '  - name: dropped',
          '    sink: { kind: null }',
        ].join('\n'),
      ),
    );
    expect(analysis.diagnostics).toEqual([]);
    const [config] = analysis.routers.map((r) => r.config);
    expect(config.routes.map((r) => [r.name, r.sink.kind, r.isolated])).toEqual([
      ['long-us-plays', 'kafka', false],
      ['all', 'postgres', false],
      ['tagged', 'redis', true],
      ['dropped', 'null', false],
    ]);
    expect(config.routes[0].project?.map((f) => [f.name, f.type])).toEqual([
      ['profileId', 'string'],
      ['minutes', 'double'],
      ['mobile', 'bool'],
      ['firstTag', 'string'],
    ]);
    expect(config.routes[1].project?.map((f) => f.name)).toEqual(['profileId', 'titleId']);
  });

  it('reports YAML that does not parse at its position', () => {
    expect(routerDiagnostics('router: R\nsource: [topic\nroutes: []\n')[0]).toMatch(
      /^3:1 SG3001 not valid YAML: Flow sequence/,
    );
  });

  it('reports unknown keys with the near name', () => {
    expect(
      routerDiagnostics(router('  - name: a\n    filtr: live\n    sink: { kind: null }\n')),
    ).toEqual(['7:5 SG3002 unknown key "filtr" in a route; did you mean "filter"?']);
    expect(
      routerDiagnostics(router('  - name: a\n    sink: { kind: null }\n', 'versio: 1\n')),
    ).toEqual(['2:1 SG3002 unknown key "versio" in a router; it takes router, source, routes']);
  });

  it('reports missing and mistyped settings', () => {
    expect(routerDiagnostics(router('  - name: a\n    sink: { kind: kafka }\n'))).toEqual([
      '7:11 SG3003 the kafka sink of route "a" has no "topic" (string)',
    ]);
    expect(routerDiagnostics(router('  - name: a\n'))).toEqual([
      '6:5 SG3003 route "a" has no "sink" (mapping)',
    ]);
    expect(
      routerDiagnostics(router('  - name: a\n    isolated: yes\n    sink: { kind: null }\n')),
    ).toEqual(['7:15 SG3003 "isolated" of route "a" must be a boolean']);
    expect(
      routerDiagnostics(
        router('  - name: a\n    sink: { kind: postgres, table: t, batchSize: lots }\n'),
      ),
    ).toEqual(['7:50 SG3003 "batchSize" of the postgres sink of route "a" must be a number']);
    expect(
      routerDiagnostics(router('  - name: a\n    sink: { kind: redis, stream: s, hash: h }\n')),
    ).toEqual(['7:19 SG3003 the redis sink of route "a" takes exactly one of "stream", "hash"']);
    expect(
      routerDiagnostics('router: R\nroutes:\n  - name: a\n    sink: { kind: null }\n'),
    ).toEqual(['1:1 SG3003 the router has no "source" (mapping)']);
  });

  it('reports unknown sink kinds and settings of another kind', () => {
    expect(routerDiagnostics(router('  - name: a\n    sink: { kind: kafk, topic: t }\n'))).toEqual([
      '7:19 SG3004 unknown sink kind "kafk" of route "a": use one of kafka, postgres, redis, http, file, null; did you mean "kafka"?',
    ]);
    expect(
      routerDiagnostics(router('  - name: a\n    sink: { kind: kafka, topic: t, table: x }\n')),
    ).toEqual([
      '7:36 SG3002 unknown setting "table" of the kafka sink of route "a"; a kafka sink takes topic, brokers',
    ]);
    expect(
      routerDiagnostics(
        router('  - name: a\n    sink: { kind: http, url: "http://x", format: bulk }\n'),
      ),
    ).toEqual([
      '7:50 SG3003 "format" of the http sink of route "a" must be one of json, elasticsearch-bulk',
    ]);
  });

  it('takes a kafka sink on another cluster: brokers as a list or with commas', () => {
    const sink = (brokers: string) =>
      analyzeRouterSource(
        router(`  - name: a\n    sink: { kind: kafka, topic: t, brokers: ${brokers} }\n`),
      );
    for (const brokers of ['[10.0.0.1:9092, "kafka-b:9093"]', '"10.0.0.1:9092, kafka-b:9093"']) {
      const analysis = sink(brokers);
      expect(analysis.diagnostics).toEqual([]);
      expect(analysis.routers[0].config.routes[0].sink.settings).toEqual({
        topic: 't',
        brokers: '10.0.0.1:9092,kafka-b:9093',
      });
    }
    expect(
      routerDiagnostics(
        router('  - name: a\n    sink: { kind: kafka, topic: t, brokers: [kafka-b] }\n'),
      ),
    ).toEqual([
      '7:46 SG3003 "brokers" of the kafka sink of route "a" must be host:port strings, as a list or with commas: not "kafka-b"',
    ]);
    expect(
      routerDiagnostics(router('  - name: a\n    sink: { kind: kafka, topic: t, brokers: [] }\n')),
    ).toEqual(['7:45 SG3003 "brokers" of the kafka sink of route "a" lists no brokers']);
  });

  it('reports a source type that is not an exported object type', () => {
    expect(
      routerDiagnostics(
        router('  - name: a\n    sink: { kind: null }\n').replace(
          'type: PlayEvent',
          'type: PlayEvnt',
        ),
      ),
    ).toEqual([
      '4:9 SG3005 source type PlayEvnt is not an exported interface or type alias of the project; did you mean "PlayEvent"?',
    ]);
    expect(
      routerDiagnostics(
        router('  - name: a\n    sink: { kind: null }\n').replace('type: PlayEvent', 'type: Bad'),
        'export interface Bad { at: Date; }',
      ),
    ).toEqual([expect.stringMatching(/^4:9 SG3005 source type Bad cannot be read from JSON: /)]);
  });

  it('reports duplicate route names', () => {
    expect(
      routerDiagnostics(
        router('  - name: a\n    sink: { kind: null }\n  - name: a\n    sink: { kind: null }\n'),
      ),
    ).toEqual(['8:11 SG3006 duplicate route name "a"']);
  });

  it('reports an expression that does not parse, pointing into it', () => {
    expect(
      routerDiagnostics(router('  - name: a\n    filter: live &&\n    sink: { kind: null }\n')),
    ).toEqual(['7:20 SG3101 the filter of route "a" does not parse: Unexpected token: EOF']);
  });

  it('reports a field the source type does not have', () => {
    expect(
      routerDiagnostics(
        router('  - name: a\n    filter: device.model == "x"\n    sink: { kind: null }\n'),
      ),
    ).toEqual(['7:20 SG3102 the filter of route "a" does not fit PlayEvent: No such key: model']);
    expect(
      routerDiagnostics(
        router('  - name: a\n    filter: duration > 1\n    sink: { kind: null }\n'),
      ),
    ).toEqual([
      '7:13 SG3102 the filter of route "a" does not fit PlayEvent: Unknown variable: duration',
    ]);
  });

  it('reports a string compared with a number, and the double hint', () => {
    expect(
      routerDiagnostics(router('  - name: a\n    filter: country > 3\n    sink: { kind: null }\n')),
    ).toEqual([
      '7:13 SG3102 the filter of route "a" does not fit PlayEvent: no such overload: string > int',
    ]);
    expect(
      routerDiagnostics(
        router(
          '  - name: a\n    project: { minutes: durationMs / 60000 }\n    sink: { kind: null }\n',
        ),
      ),
    ).toEqual([
      '7:25 SG3102 the field "minutes" of route "a" does not fit PlayEvent: no such overload: double / int (a TypeScript number is a CEL double: write 60000.0, not 60000)',
    ]);
  });

  it('reports a filter that is not boolean', () => {
    expect(
      routerDiagnostics(router('  - name: a\n    filter: "country"\n    sink: { kind: null }\n')),
    ).toEqual(['7:14 SG3103 the filter of route "a" gives string, not bool']);
  });

  it('points into a block scalar expression, with a code frame', () => {
    const analysis = analyzeRouterSource(
      router(
        '  - name: a\n    filter: |\n      live &&\n        country > 3\n    sink: { kind: null }\n',
      ),
    );
    const [d] = analysis.diagnostics;
    expect([d.location.line, d.location.column, d.code]).toEqual([9, 9, 'SG3102']);
    const text = router(
      '  - name: a\n    filter: |\n      live &&\n        country > 3\n    sink: { kind: null }\n',
    );
    expect(
      formatDiagnostic(d, '/', () => text)
        .split('\n')
        .slice(2),
    ).toEqual(['  9 |         country > 3', '    |         ~~~~~~~~~~~']);
  });

  it('checks a route script: its settings, that its file exists and compiles', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'router-script-'));
    try {
      const good = path.join(dir, 'good.js');
      const bad = path.join(dir, 'bad.js');
      fs.writeFileSync(good, 'function transform(r) { return r; }');
      fs.writeFileSync(bad, 'function transform(r) {\n  return {\n}');
      const route = (script: string) =>
        router(`  - name: a\n    script: ${script}\n    sink: { kind: null }\n`);
      expect(routerDiagnostics(route(`{ file: ${good}, dynamic: true, timeoutMs: 50 }`))).toEqual(
        [],
      );
      expect(routerDiagnostics(route(`{ file: ${good}, timeout: 50 }`))).toEqual([
        expect.stringMatching(
          /^7:\d+ SG3002 unknown key "timeout" in the script of route "a"; did you mean "timeoutMs"\?$/,
        ),
      ]);
      const eitherOne =
        'SG3003 the script of route "a" takes exactly one of "file" (the script file, relative to the project directory) and "redis" (the Redis key that holds it)';
      expect(routerDiagnostics(route('{ dynamic: true }'))).toEqual([`7:13 ${eitherOne}`]);
      expect(routerDiagnostics(route(`{ file: ${good}, redis: x.script }`))).toEqual([
        `7:${23 + good.length} ${eitherOne}`,
      ]);
      // a key is read at run time: nothing to check at build time but its settings
      expect(
        routerDiagnostics(route('{ redis: play-events.stars.script, dynamic: true, pollMs: 500 }')),
      ).toEqual([]);
      expect(routerDiagnostics(route('{ redis: "", dynamic: true }'))).toEqual([
        '7:22 SG3003 "redis" of the script of route "a" must be a non-empty string',
      ]);
      expect(routerDiagnostics(route('{ redis: k, dynamic: true, pollMs: -1 }'))).toEqual([
        '7:48 SG3003 "pollMs" of the script of route "a" must be a whole number of at least 0',
      ]);
      expect(routerDiagnostics(route(`{ file: ${path.join(dir, 'none.js')} }`))).toEqual([
        expect.stringMatching(/^7:21 SG3007 script .*none.js cannot be read: ENOENT/),
      ]);
      expect(routerDiagnostics(route(`{ file: ${bad} }`))).toEqual([
        expect.stringMatching(
          /^7:21 SG3007 script .*bad.js does not compile \(line 3\): Unexpected end of input$/,
        ),
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('strips a TypeScript script of its types, then compiles it, reporting errors at their line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'router-script-ts-'));
    try {
      const good = path.join(dir, 'good.ts');
      const bad = path.join(dir, 'bad.ts');
      const late = path.join(dir, 'late.ts');
      fs.writeFileSync(
        good,
        'interface Play { n: number }\nfunction transform(p: Play): Play | null {\n  return { ...p, n: (p.n as number) * 2 };\n}\n',
      );
      // a TypeScript syntax error, found by the type stripper
      fs.writeFileSync(
        bad,
        'interface Play { n: number }\n\nfunction transform(p: Play): {\n  return p;\n}\n',
      );
      // a JavaScript one, found when the stripped script compiles: lines are kept
      fs.writeFileSync(
        late,
        'interface Play { n: number }\nfunction transform(p: Play) {\n  return p +;\n}\n',
      );
      const route = (file: string) =>
        router(`  - name: a\n    script: { file: ${file} }\n    sink: { kind: null }\n`);
      expect(routerDiagnostics(route(good))).toEqual([]);
      expect(routerDiagnostics(route(bad))).toEqual([
        expect.stringMatching(
          /^7:21 SG3007 script .*bad.ts does not compile \(line 4\): Unexpected token/,
        ),
      ]);
      expect(routerDiagnostics(route(late))).toEqual([
        expect.stringMatching(
          /^7:21 SG3007 script .*late.ts does not compile \(line 3\): Unexpected token/,
        ),
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports numeric settings that cannot work, and route names the dead letters have', () => {
    expect(
      routerDiagnostics(
        router('  - name: a\n    sink: { kind: postgres, table: t, batchSize: 0 }\n'),
      ),
    ).toEqual([
      '7:50 SG3003 "batchSize" of the postgres sink of route "a" must be a whole number of at least 1',
    ]);
    expect(routerDiagnostics(router('  - name: dead-letters\n    sink: { kind: null }\n'))).toEqual(
      [
        `6:11 SG3003 route name "dead-letters" is the router's dead letters' own: name the route otherwise`,
      ],
    );
  });

  it('reports a router named as a job of the project', () => {
    const job = `import { Sink, Source, StreamJob } from '@stream-gen/annotations';
@StreamJob({ name: 'PlayEventsRouter' })
@Source('plays')
@Sink('out')
export class Job {}`;
    expect(
      routerDiagnostics(router('  - name: a\n    sink: { kind: null }\n'), '', job),
    ).toContainEqual(
      '1:9 SG3006 router name "PlayEventsRouter" is a job\'s too: their generated files would be one',
    );
  });

  it('reports route and router names that cannot name a sink or a job', () => {
    expect(routerDiagnostics(router('  - name: "a b"\n    sink: { kind: null }\n'))).toEqual([
      `6:11 SG3003 route name "a b" must start with a letter or '_' and hold only letters, digits, '_', '.' and '-' (it names the route's sink and ids)`,
    ]);
  });
});
