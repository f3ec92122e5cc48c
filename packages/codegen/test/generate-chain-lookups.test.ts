/**
 * Chain stages with lookup tables, from decorators to a run: a stage before the keyed
 * operator gives each click its owner from one table, a stage after it names the owner
 * from another. generate() emits each stage's steps and lookups (checked as text), the
 * generated files compile with the project, and the generated Nest module runs the job
 * over JSON-lines files, the stages resolved by Nest with the directory they load from.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeGenerated } from '../src';
import { specSection, useGeneratedProject } from './e2e-project';
import { jsonLines, readJsonLines, runGenerated } from './run-generated';

const MODEL = `export interface Click {
  device: string;
  ts: number;
}

export interface OwnedClick extends Click {
  user: string;
}

export interface UserCount {
  user: string;
  count: number;
}

export interface NamedCount extends UserCount {
  name: string;
}
`;

const DIRECTORY = `import { Injectable } from '@nestjs/common';

/** Where the stages load their tables from; injected by Nest. */
@Injectable()
export class Directory {
  async owners(): Promise<Record<string, string>> {
    return { d1: 'u1', d2: 'u1', d3: 'u2' };
  }

  async names(): Promise<Record<string, string>> {
    return { u1: 'Ada', u2: 'Grace' };
  }
}
`;

const STAGES = `import { Chain, FilterElement, LookupTable, MapElement } from '@stream-gen/annotations';
import { Directory } from './directory';
import type { Click, NamedCount, OwnedClick, UserCount } from './model';

/** Gives each click the user who owns its device; clicks of unknown devices are dropped. */
@Chain({ id: 'owner', input: 'clicks', output: 'owned' })
export class Owner {
  private owners: Record<string, string> = {};

  constructor(private readonly directory: Directory) {}

  @LookupTable({ refresh: '10m' })
  async loadOwners(): Promise<void> {
    this.owners = await this.directory.owners();
  }

  @FilterElement()
  known(click: Click): boolean {
    return click.device in this.owners;
  }

  @MapElement()
  withOwner(click: Click): OwnedClick {
    return { ...click, user: this.owners[click.device] };
  }
}

/** Names the user of each count. */
@Chain({ id: 'name', input: 'raw-counts', output: 'counts' })
export class Name {
  private names: Record<string, string> = {};

  constructor(private readonly directory: Directory) {}

  @LookupTable({ refresh: '1h' })
  async loadNames(): Promise<void> {
    this.names = await this.directory.names();
  }

  @MapElement()
  named(count: UserCount): NamedCount {
    return { ...count, name: this.names[count.user] ?? '?' };
  }
}
`;

const JOB = `import { KeyBy, KeyedProcess, ProcessElement, Sink, Source, State, StreamJob } from '@stream-gen/annotations';
import type { ElementContext, ValueState } from '@stream-gen/runtime';
import type { OwnedClick, UserCount } from './model';
import { Name, Owner } from './user-clicks.stages';

@StreamJob({ name: 'UserClicks', stages: [Owner, Name] })
@Source('clicks', { eventTime: 'ts' })
@Sink('counts')
@KeyedProcess({ input: 'owned', output: 'raw-counts' })
export class UserClicks {
  @State() private count!: ValueState<number>;

  @ProcessElement('owned')
  @KeyBy('user')
  onClick(click: OwnedClick, ctx: ElementContext<UserCount>): void {
    const count = (this.count.value() ?? 0) + 1;
    this.count.update(count);
    ctx.emit({ user: click.user, count });
  }
}
`;

/** What the runner's spec lists as `stages`: steps and lookups of one instance each. */
const STAGES_SPEC = `    stages: [
      {
        kind: 'chain',
        id: 'owner',
        input: 'clicks',
        output: 'owned',
        create: async () => {
          const stage = await createStage(Owner);
          return {
            steps: [
              { kind: 'filter', name: 'known', fn: (value) => stage['known'](value) },
              { kind: 'map', name: 'withOwner', fn: (value) => stage['withOwner'](value) },
            ],
            lookups: [
              { name: 'loadOwners', refreshMs: 600000, load: () => stage['loadOwners']() },
            ],
          };
        },
      },
      {
        kind: 'chain',
        id: 'name',
        input: 'raw-counts',
        output: 'counts',
        create: async () => {
          const stage = await createStage(Name);
          return {
            steps: [
              { kind: 'map', name: 'named', fn: (value) => stage['named'](value) },
            ],
            lookups: [
              { name: 'loadNames', refreshMs: 3600000, load: () => stage['loadNames']() },
            ],
          };
        },
      },
    ],
`;

describe('chain stages with lookup tables, generated from decorators', () => {
  const project = useGeneratedProject('chain-lookups', 'user-clicks', {
    'model.ts': MODEL,
    'directory.ts': DIRECTORY,
    'user-clicks.stages.ts': STAGES,
    'user-clicks.job.ts': JOB,
  });

  it('gives each stage the lookups of its instance, beside its steps', () => {
    const runner = project.runner('UserClicks');
    expect(specSection(runner, '    stages: [')).toBe(STAGES_SPEC);
    expect(runner).toContain('        Directory,\n');
  });

  it('compiles with zero diagnostics, next to the project sources', () => {
    expect(project.typeErrors()).toBe('');
  });

  it('runs from its generated Nest module, each stage reading its table', async () => {
    writeGenerated(project.result);
    const clicks = join(project.root, 'clicks.jsonl');
    const counts = join(project.root, 'counts.jsonl');
    const devices = ['d1', 'd3', 'd9', 'd2', 'd3', 'd1'];
    writeFileSync(clicks, jsonLines(devices.map((device, i) => ({ device, ts: 1_000 + i }))));
    await runGenerated(project.runnerPath('UserClicks'), 'UserClicks', {
      sourceFiles: { clicks },
      sinkFiles: { counts },
    });
    // d9 has no owner: dropped by the filter; d1 and d2 are u1's, d3 is u2's
    expect(readJsonLines(counts)).toEqual([
      { user: 'u1', count: 1, name: 'Ada' },
      { user: 'u2', count: 1, name: 'Grace' },
      { user: 'u1', count: 2, name: 'Ada' },
      { user: 'u2', count: 2, name: 'Grace' },
      { user: 'u1', count: 3, name: 'Ada' },
    ]);
  });
});
