import type { JobSpec } from '../job/job-spec';
import type { StreamTask } from '../task/stream-task';
import { keyPartition } from './key-partition';
import type { QueryAnswer, StateQuery } from './state-query';

/** What a runner knows to answer a query from the tasks it runs. */
export interface QueryableTasks {
  /** The job (or segment) the tasks run. */
  readonly job: JobSpec;
  /** The job's task count: the partitions keys are spread over. */
  readonly partitions: number;
  /** Whether keys are spread by Kafka's partitioner (see {@link keyPartition}). */
  readonly byKafkaKey: boolean;
  taskId(partition: number): string;
  /** The task of a partition, when it is open in this process. */
  task(partition: number): StreamTask | undefined;
}

/**
 * The state's name inside the task: a state of the operator (or of a keyed stage that
 * is the task's operator behind a repartition) by its own name, one of a keyed stage
 * fused after it as `<stage id>.<state>`; undefined when the stage is not the task's.
 */
export function stateNameInTask(job: JobSpec, query: StateQuery): string | undefined {
  if (query.stage === job.operator?.name) return query.state;
  const fused = job.keyedStages?.some((s) => s.id === query.stage && s.sameKey === true);
  return fused ? `${query.stage}.${query.state}` : undefined;
}

/** Answers a query from the key's task when it is open here, else names the task that holds it. */
export async function answerQuery(tasks: QueryableTasks, query: StateQuery): Promise<QueryAnswer> {
  const state = stateNameInTask(tasks.job, query);
  if (state === undefined) {
    return {
      kind: 'unknown',
      what: 'stage',
      reason: `job ${tasks.job.name} has no keyed stage "${query.stage}"`,
    };
  }
  const partition = keyPartition(query.key, tasks.partitions, tasks.byKafkaKey);
  const taskId = tasks.taskId(partition);
  const task = tasks.task(partition);
  if (!task) return { kind: 'elsewhere', task: taskId };
  if (!task.hasState(state)) {
    return {
      kind: 'unknown',
      what: 'state',
      reason: `stage "${query.stage}" of job ${tasks.job.name} has no state "${query.state}"`,
    };
  }
  const value = await task.readState(state, query.key);
  return { kind: 'value', task: taskId, value, checkpoint: task.checkpointId };
}
