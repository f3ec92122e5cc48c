import { outputTree, stagesOfTree, streamsOfTree } from './source-tree';
import type { JobSpec, KeyedFunctionSpec, KeyedStageSpec } from './job-spec';

/**
 * A part of a job that runs on tasks of its own: the sources up to the operator, or one
 * keyed stage behind a repartition; each with the keyed stages fused after it (same
 * key, see `task/fused-stages.ts`) and the chains after those. Each is a job spec the
 * runners run as they run any job; what crosses from one segment to the next goes
 * through an exchange (see `task/epoch-gate.ts`).
 */
export interface JobSegment {
  /** Its `keyedStages` are the fused ones, all `sameKey`. */
  readonly job: JobSpec;
  /** The keyed stage behind a repartition this segment runs, for every segment but the first. */
  readonly stage?: KeyedStageSpec;
  /** The keyed stage behind a repartition this segment's main output feeds, for every segment but the last. */
  readonly feeds?: KeyedStageSpec;
}

/** Task id of partition `n` of a segment: the partition alone first, `<stage id>/<n>` behind a repartition. */
export function segmentTaskId(segment: JobSegment, partition: number): string {
  return segment.stage ? `${segment.stage.id}/${partition}` : String(partition);
}

/** Name of the exchange topic that feeds `stage`. */
export function exchangeTopic(job: string, stage: KeyedStageSpec): string {
  return `${job}.${stage.id}.repartition`;
}

/** The keyed stages in groups: each starts with a stage keyed anew (none for the first), then its fused ones. */
function stageGroups(
  stages: readonly KeyedStageSpec[],
): Array<{ head?: KeyedStageSpec; fused: KeyedStageSpec[] }> {
  const groups: Array<{ head?: KeyedStageSpec; fused: KeyedStageSpec[] }> = [{ fused: [] }];
  for (const stage of stages) {
    if (stage.sameKey === true) groups[groups.length - 1].fused.push(stage);
    else groups.push({ head: stage, fused: [] });
  }
  return groups;
}

/** The job's segments in order; a job without keyed stages is one segment, itself. */
export function planSegments(job: JobSpec): JobSegment[] {
  const stages = job.keyedStages ?? [];
  if (stages.length === 0) return [{ job }];
  const groups = stageGroups(stages);
  // a stream a keyed stage reads may be written to a sink too (fan-out)
  const copies = job.outputs.streams ?? {};
  // a fused stage routes the side outputs it does not route itself where the operator does
  const fusedOf = (fused: readonly KeyedStageSpec[]) =>
    fused.length === 0
      ? undefined
      : fused.map((s) => ({ ...s, sideOutputs: { ...job.outputs.sideOutputs, ...s.sideOutputs } }));
  // the chain stages after a stage keyed anew and its fused ones run in its segment
  const chainsOf = (group: (typeof groups)[number]) =>
    [group.head, ...group.fused].flatMap((s) =>
      s?.output !== undefined ? stagesOfTree(outputTree(job, s.output)) : [],
    );
  const later = new Set(groups.slice(1).flatMap(chainsOf));
  // the streams a segment of keyed stages reads and writes
  const streamsOfGroup = (group: (typeof groups)[number]) =>
    [group.head, ...group.fused]
      .flatMap((s) => (s ? [s.input, ...(s.output !== undefined ? [s.output] : [])] : []))
      .concat(chainsOf(group).map((c) => c.output));
  return groups.map((group, i): JobSegment => {
    const next = groups[i + 1]?.head;
    const last = next === undefined;
    // what a segment's main output carries: the copy of the stream the next segment reads
    const main = last ? job.outputs.main : copies[next.input];
    const { head } = group;
    if (!head) {
      return {
        job: {
          ...job,
          stages: job.stages?.filter((s) => !later.has(s)),
          keyedStages: fusedOf(group.fused),
          outputs: {
            ...job.outputs,
            main,
            // not those the next segment reads (it is the main output) or later ones write
            streams: withoutKeys(
              job.outputs.streams,
              groups.slice(1).flatMap((g) => streamsOfGroup(g)),
            ),
          },
        },
        feeds: next,
      };
    }
    return {
      stage: head,
      feeds: next,
      job: {
        name: job.name,
        sources: [
          {
            name: head.input,
            key: head.key,
            // an exchange partition holds the keys that hash to it
            partitionedByKey: true,
            // elements of an exchange carry the event time their upstream emitted them at
            eventTime: { timestamp: carriedTime, maxOutOfOrdernessMs: 0 },
          },
        ],
        stages: chainsOf(group),
        operator: {
          kind: 'process',
          name: head.id,
          input: head.input,
          output: head.output,
          ...functionOf(head),
        },
        keyedStages: fusedOf(group.fused),
        outputs: {
          ...job.outputs,
          main,
          // the stage's own routes, and the operator's for the tags it does not route
          sideOutputs: { ...job.outputs.sideOutputs, ...head.sideOutputs },
          // the stream it reads was copied where it was written; those its fused stages read are copied here
          streams: pick(
            copies,
            streamsOfGroup(group).filter((s) => s !== head.input && s !== next?.input),
          ),
        },
        onError: job.onError,
        views: job.views,
      },
    };
  });
}

/** The stage's function, a window's with its windows. */
function functionOf(stage: KeyedStageSpec): KeyedFunctionSpec {
  return stage.window === undefined
    ? { create: stage.create }
    : { window: stage.window, create: stage.create };
}

function pick(
  record: Readonly<Record<string, string>>,
  keys: readonly string[],
): Readonly<Record<string, string>> | undefined {
  const picked = Object.entries(record).filter(([k]) => keys.includes(k));
  return picked.length > 0 ? Object.fromEntries(picked) : undefined;
}

function withoutKeys(
  record: Readonly<Record<string, string>> | undefined,
  keys: readonly string[],
): Readonly<Record<string, string>> | undefined {
  if (!record) return undefined;
  return Object.fromEntries(Object.entries(record).filter(([k]) => !keys.includes(k)));
}

function carriedTime(): number {
  throw new Error('an exchange element carries its event time; nothing computes it');
}

/** The streams after `stream` (the tree of chain stages from it): where a keyed stage may read. */
function streamsAfter(job: JobSpec, stream: string | undefined): string[] {
  return stream === undefined ? [] : streamsOfTree(outputTree(job, stream)).map((n) => n.stream);
}

/** The stream `stream` ends in (the first branch end): itself, or the end of the chain stages after it. */
function streamEnd(job: JobSpec, stream: string | undefined): string | undefined {
  if (stream === undefined) return undefined;
  return streamsOfTree(outputTree(job, stream)).find((n) => n.next.length === 0)?.stream;
}

/** What is wrong with the job's keyed stages, for `checkJob` (empty when nothing). */
export function keyedStageProblems(job: JobSpec): string[] {
  const stages = job.keyedStages ?? [];
  if (stages.length === 0) return [];
  const problems: string[] = [];
  const taken = new Set([...(job.stages ?? []).map((s) => s.id), job.operator?.name]);
  let before = job.operator?.output;
  let expected = streamEnd(job, before);
  if (!job.operator) problems.push('keyed stages need an operator before them');
  else if (expected === undefined) {
    problems.push(
      `keyed stage "${stages[0].id}" reads "${stages[0].input}", but operator "${job.operator.name}" names no output stream; give it output: "${stages[0].input}"`,
    );
  }
  for (const [i, stage] of stages.entries()) {
    if ((stage.key !== undefined) === (stage.sameKey === true)) {
      problems.push(
        `keyed stage "${stage.id}" needs exactly one of key (keyed anew, behind a repartition) and sameKey: true (keyed as the stage before it, fused)`,
      );
    }
    if (stage.sameKey && i === 0 && job.operator?.kind === 'async') {
      problems.push(
        `keyed stage "${stage.id}" has sameKey, but enrichment "${job.operator.name}" before it has no key: give the stage a key`,
      );
    }
    if (!/^[A-Za-z_][\w.-]*$/.test(stage.id)) {
      problems.push(
        `stage id "${stage.id}" must start with a letter or '_' and hold only letters, digits, '_', '.' or '-'`,
      );
    }
    if (taken.has(stage.id)) problems.push(`stage id "${stage.id}" is used twice`);
    for (const [tag, sink] of Object.entries(stage.sideOutputs ?? {})) {
      if (!sink) {
        problems.push(
          `side output "${tag}" of keyed stage "${stage.id}" is routed to an empty sink name`,
        );
      }
    }
    taken.add(stage.id);
    if (expected !== undefined && !streamsAfter(job, before).includes(stage.input)) {
      problems.push(
        `keyed stage "${stage.id}" reads "${stage.input}", but the stream before it is "${expected}"`,
      );
    }
    if (i < stages.length - 1 && stage.output === undefined) {
      problems.push(
        `keyed stage "${stage.id}" names no output, but keyed stage "${stages[i + 1].id}" comes after it`,
      );
    }
    before = stage.output;
    expected = streamEnd(job, before);
  }
  return problems;
}
