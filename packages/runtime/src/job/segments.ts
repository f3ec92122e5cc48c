import { chainFrom } from './chain-plan';
import type { JobSpec, KeyedStageSpec } from './job-spec';

/**
 * A part of a job that runs on tasks of its own: the sources up to the operator (and
 * the chain after it), or one keyed stage behind a repartition (and the chain after
 * it). Each is a job spec the
 * runners run as they run any job; what crosses from one segment to the next goes
 * through an exchange (see `task/epoch-gate.ts`).
 */
export interface JobSegment {
  readonly job: JobSpec;
  /** The keyed stage this segment runs, for every segment but the first. */
  readonly stage?: KeyedStageSpec;
  /** The keyed stage this segment's main output feeds, for every segment but the last. */
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

/** The job's segments in order; a job without keyed stages is one segment, itself. */
export function planSegments(job: JobSpec): JobSegment[] {
  const stages = job.keyedStages ?? [];
  if (stages.length === 0) return [{ job }];
  // a stream a keyed stage reads may be written to a sink too (fan-out)
  const sinkOf = (next: KeyedStageSpec) => job.outputs.streams?.[next.input];
  // the chain stages after a keyed stage run in its segment, the others in the first
  const later = new Set(stages.flatMap((stage) => chainFrom(job, stage.output)));
  const segments: JobSegment[] = [
    {
      job: {
        ...job,
        stages: job.stages?.filter((s) => !later.has(s)),
        keyedStages: undefined,
        // the stream the first keyed stage reads is this segment's main output
        outputs: {
          ...job.outputs,
          main: sinkOf(stages[0]),
          streams: withoutKeys(
            job.outputs.streams,
            stages.map((s) => s.input),
          ),
        },
      },
      feeds: stages[0],
    },
  ];
  stages.forEach((stage, i) => {
    const last = i === stages.length - 1;
    segments.push({
      stage,
      feeds: last ? undefined : stages[i + 1],
      job: {
        name: job.name,
        sources: [
          {
            name: stage.input,
            key: stage.key,
            // an exchange partition holds the keys that hash to it
            partitionedByKey: true,
            // elements of an exchange carry the event time their upstream emitted them at
            eventTime: { timestamp: carriedTime, maxOutOfOrdernessMs: 0 },
          },
        ],
        stages: chainFrom(job, stage.output),
        operator: {
          kind: 'process',
          name: stage.id,
          input: stage.input,
          output: stage.output,
          create: stage.create,
        },
        outputs: {
          ...job.outputs,
          main: last ? job.outputs.main : sinkOf(stages[i + 1]),
          // the stage's own routes, and the operator's for the tags it does not route
          sideOutputs: { ...job.outputs.sideOutputs, ...stage.sideOutputs },
          // the stream it reads was copied where it was written
          streams: undefined,
        },
        onError: job.onError,
      },
    });
  });
  return segments;
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

/** The stream `stream` ends in: itself, or the end of the chain stages after it. */
function streamEnd(job: JobSpec, stream: string | undefined): string | undefined {
  const chain = chainFrom(job, stream);
  return chain.length > 0 ? chain[chain.length - 1].output : stream;
}

/** What is wrong with the job's keyed stages, for `checkJob` (empty when nothing). */
export function keyedStageProblems(job: JobSpec): string[] {
  const stages = job.keyedStages ?? [];
  if (stages.length === 0) return [];
  const problems: string[] = [];
  const taken = new Set([...(job.stages ?? []).map((s) => s.id), job.operator?.name]);
  let expected = streamEnd(job, job.operator?.output);
  if (!job.operator) problems.push('keyed stages need an operator before them');
  else if (expected === undefined) {
    problems.push(
      `keyed stage "${stages[0].id}" reads "${stages[0].input}", but operator "${job.operator.name}" names no output stream; give it output: "${stages[0].input}"`,
    );
  }
  for (const [i, stage] of stages.entries()) {
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
    if (expected !== undefined && stage.input !== expected) {
      problems.push(
        `keyed stage "${stage.id}" reads "${stage.input}", but the stream before it is "${expected}"`,
      );
    }
    if (i < stages.length - 1 && stage.output === undefined) {
      problems.push(
        `keyed stage "${stage.id}" names no output, but keyed stage "${stages[i + 1].id}" comes after it`,
      );
    }
    expected = streamEnd(job, stage.output);
  }
  return problems;
}
