export {
  RedisStateBackend,
  CheckpointFencedError,
  CheckpointNotRetainedError,
  type RedisStateBackendOptions,
} from './redis-state.backend';
export { taskKeys, type TaskKeys } from './redis-keys';
