export {
  RedisStateBackend,
  CheckpointFencedError,
  CheckpointRewoundError,
  CheckpointNotRetainedError,
  type RedisStateBackendOptions,
} from './redis-state.backend';
export { taskKeys, type TaskKeys } from './redis-keys';
export {
  CheckpointAdmin,
  CheckpointAdminRefusedError,
  NoCheckpointsError,
  defaultSavepointName,
  type CheckpointAdminOptions,
  type JobCheckpoints,
  type RewindResult,
  type SavepointResult,
  type TaskRewind,
} from './checkpoint-admin';
export type {
  CheckpointSummary,
  SavepointSummary,
  StateSize,
  TaskCheckpoints,
} from './checkpoint-inspection';
export { parseRewindTarget, describeTarget, type RewindTarget } from './rewind-target';
export { checkSavepointName, type TaskSavepoint } from './savepoints';
