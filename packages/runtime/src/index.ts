export type { RawRecord, OutRecord } from './records';
export {
  HEADER_ID,
  HEADER_REASON,
  HEADER_SOURCE,
  HEADER_PARTITION,
  HEADER_OFFSET,
} from './records';

export type {
  JobSpec,
  SourceSpec,
  OperatorSpec,
  ChainStageSpec,
  KeyedStageSpec,
  KeyedFunctionSpec,
  OutputSpec,
  EventTimeSpec,
  Step,
  Validator,
} from './job/job-spec';
export {
  LATE_TAG,
  DEFAULT_MAX_RECORD_BYTES,
  DEFAULT_MAX_FUTURE_MS,
  type ErrorPolicy,
} from './job/job-spec';
export { UserFunctionError } from './task/user-function.error';
export type { DecodedElement, EncodedElement } from './task/input-element';
export type {
  WindowSpec,
  WindowAssigner,
  TumblingWindows,
  SlidingWindows,
  SessionWindows,
  WindowBounds,
  WindowAggregate,
  WindowProcess,
  WindowFunction,
} from './window/window-spec';
export { assignWindows, type TimeWindow } from './window/assign-windows';
export { checkJob, operatorInputs } from './job/check-job';
export { planSegments, exchangeTopic, type JobSegment } from './job/segments';
export type {
  RuntimeContext,
  StateOptions,
  TimerRegistry,
  KeyedContext,
  ElementContext,
  TimerContext,
  KeyedProcessFunction,
  KeyedCoProcessFunction,
} from './job/process-function';

export type { StateDescriptor, StateKind } from './state/state-descriptor';
export type { ValueState, ListState, MapState } from './state/state-handles';
export type {
  StateBackend,
  TaskStateStore,
  CheckpointStore,
  TaskStores,
  TaskScope,
  StoredEntry,
  StateRef,
  StateWrite,
} from './state/state-backend';
export type { TaskCheckpoint, CheckpointInfo } from './state/checkpoint';
export { KeyedStateCache } from './state/keyed-state-cache';
export { MemoryStateBackend } from './state/memory-state.backend';
export { CheckpointFencedError } from './state/checkpoint-fenced.error';

export { type Clock, systemClock, ManualClock } from './time/clock';
export { BEGINNING_OF_TIME, END_OF_TIME } from './time/time-bounds';
export {
  WatermarkTracker,
  type WatermarkPolicy,
  type WatermarkSnapshot,
} from './time/watermark-tracker';
export {
  TimerService,
  TimerQueue,
  type Timer,
  type TimerSnapshot,
  type TimeDomain,
} from './time/timer-service';

export {
  StreamTask,
  type InputElement,
  type StreamTaskOptions,
  type TaskStatus,
} from './task/stream-task';
export { JobMetrics, jobMetricsOf, type StageMetrics } from './task/metrics';
export type { OutputStream, Emission, DeadLetter } from './task/output-stream';

export type {
  SourceConnector,
  SinkConnector,
  PartitionReader,
  ReadResult,
} from './connectors/connector';
export { EmbeddedLog, type AppendRecord, type LogRecord } from './connectors/embedded-log';
export { EmbeddedLogSource, EmbeddedLogSink } from './connectors/embedded-log.connectors';
export { JsonlFileSource, JsonlFileSink } from './connectors/jsonl-file.connectors';
export { decodeJson, encodeJson } from './connectors/json-codec';

export { JobRunner, type JobRunnerOptions, type RunSummary } from './runner/job-runner';
export { embeddedBackends, type EmbeddedBackends } from './runner/embedded-backends';
export { resolveBackends, type Backends, type KafkaBackends } from './runner/backends';
export { runUntilSignal } from './runner/run-until-signal';

export { StreamGenError, ConfigurationError, UsageError } from './util/errors';
export { type Logger, consoleLogger, defaultLogger, silentLogger } from './util/logger';
export { LoggingSink } from './connectors/logging.sink';
export {
  parseRunBindings,
  connectorsFor,
  type RunBindings,
  type NamedTopics,
} from './runner/run-bindings';
export {
  launchJob,
  type LaunchOptions,
  type ObservedJob,
  type RunningJob,
} from './runner/launch-job';
export { AsyncCaller, type AsyncLimits, type CallResult } from './async/async-caller';
export { TokenBucket } from './async/token-bucket';
export { type LookupSpec } from './async/lookup-refresher';
export type { AsyncEnrichFunction } from './job/job-spec';
export {
  RedisStateBackend,
  CheckpointNotRetainedError,
  CheckpointRewoundError,
  type RedisStateBackendOptions,
  CheckpointAdmin,
  CheckpointAdminRefusedError,
  NoCheckpointsError,
  defaultSavepointName,
  parseRewindTarget,
  describeTarget,
  checkSavepointName,
  type CheckpointAdminOptions,
  type JobCheckpoints,
  type RewindResult,
  type SavepointResult,
  type TaskRewind,
  type RewindTarget,
  type CheckpointSummary,
  type SavepointSummary,
  type StateSize,
  type TaskCheckpoints,
} from './state/redis';
export { withCheckpointAdmin } from './admin/with-checkpoint-admin';
export { GroupJobRunner, type GroupJobRunnerOptions } from './runner/group-job-runner';
export { PipelineRunner, type PipelineOptions, type SegmentRunner } from './runner/pipeline-runner';
export type { SegmentOptions } from './runner/segment-options';
export { ExchangeWriter, type ExchangeTransport } from './runner/exchange-writer';
export type {
  BrokerClient,
  BrokerConsumer,
  BrokerProducer,
  BrokerRecord,
  OutgoingRecord,
  Assignment,
  ConsumerHandlers,
} from './connectors/kafka/broker-client';
export {
  DEFAULT_KAFKA_MAX_WAIT_MS,
  KafkajsClient,
  type KafkajsClientOptions,
} from './connectors/kafka/kafkajs.client';
export { KafkaSink } from './connectors/kafka/kafka.sink';
export {
  WireProducer,
  ProduceError,
  type WireProducerOptions,
} from './connectors/kafka/wire/wire-producer';
export { coPartitionedAssigner } from './connectors/kafka/co-partitioned-assigner';
export { startStatusServer, type StatusServer } from './runner/status-server';
export { launchRouter, type RouterLaunchOptions, type RunningRouter } from './router/launch-router';
export type { RouterSpec, RouteSpec, RouteSinkSpec } from './router/router-spec';
export { celRuntime } from './router/cel-runtime';
export type { SinkRefusal } from './connectors/connector';
export { NullSink } from './connectors/null.sink';
export { PostgresSink, type PostgresSinkOptions } from './connectors/postgres.sink';
export { RedisSink, type RedisSinkOptions } from './connectors/redis.sink';
export { HttpSink, type HttpSinkOptions } from './connectors/http.sink';
export type { CelDeclarations } from './router/cel-runtime';
export { ScriptSandbox, type ScriptResult, type SandboxLimits } from './script/script-sandbox';
export { HEADER_SCRIPT_VERSION, type ScriptSpec } from './script/route-script';
export {
  scriptStage,
  openScriptStep,
  type ScriptStageOptions,
  type ScriptStep,
  type ScriptStepOptions,
} from './script/script-stage';
export type { ViewSpec, PublishedView } from './view/view-spec';
export type {
  ViewCache,
  ViewEntry,
  ViewScope,
  ViewVersion,
  PublishResult,
} from './connectors/view-cache/view-cache';
export {
  RedisViewCache,
  type RedisViewCacheOptions,
} from './connectors/view-cache/redis-view-cache';
export type { StateQuery, QueryAnswer } from './query/state-query';
export {
  StateClient,
  StateQueryError,
  type StateReading,
  type StateClientOptions,
} from './query/state-client';
export {
  instanceState,
  instanceView,
  MISSED_BEATS_GONE,
  type InstanceCounters,
  type InstanceRecord,
  type InstanceState,
  type InstanceView,
} from './registry/instance-record';
export { InstanceRegistry, KEEP_GONE_MS, type JobInstances } from './registry/instance-registry';
export {
  InstanceHeartbeat,
  HEARTBEAT_MS,
  type HeartbeatPart,
  type HeartbeatSource,
  type InstanceHeartbeatOptions,
} from './registry/instance-heartbeat';
export { jobVersion } from './registry/job-version';
export { jobStatus, UnknownJobError, type JobStatus, type TaskView } from './registry/job-status';
export { withAdminRedis } from './registry/admin-connection';
export { withJobRegistry } from './registry/with-job-registry';
