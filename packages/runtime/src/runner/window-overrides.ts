import type { JobSpec } from '../job/job-spec';
import { ConfigurationError } from '../util/errors';
import type { WindowAssigner, WindowSpec } from '../window/window-spec';

const VAR = 'STREAM_GEN_WINDOW_MS';

/** What each assigner kind lets a setting change, and the spec field it sets. */
const FIELDS: Record<WindowAssigner['kind'], Record<string, string>> = {
  tumbling: { size: 'sizeMs', offset: 'offsetMs' },
  sliding: { size: 'sizeMs', slide: 'slideMs', offset: 'offsetMs' },
  session: { gap: 'gapMs' },
};

/**
 * STREAM_GEN_WINDOW_MS: the windows of a job's window stages instead of the ones it
 * declares, `<field>=<ms>` for a job with one window stage (`gap=2700000`), else
 * `<stage>.<field>=<ms>` with the operator's name or a keyed stage's id
 * (`UserSessions.gap=2700000,hot-items.size=20000`). Fields: `size`, `slide`, `offset`,
 * `gap` (as the stage's kind of window has them) and `allowedLateness`. The result is
 * checked like any job (slide ≤ size, ...).
 */
export function withWindowOverrides(job: JobSpec, env: NodeJS.ProcessEnv): JobSpec {
  const raw = env[VAR];
  if (!raw) return job;
  const stages = windowStages(job);
  const names = [...stages.keys()];
  if (names.length === 0)
    throw new ConfigurationError(`${VAR} is set, but ${job.name} has no window stage`);
  const changes = new Map<string, Record<string, number>>();
  for (const part of raw.split(',').map((p) => p.trim())) {
    const match = /^(?:(.+)\.)?([A-Za-z]+)=(\d+)$/.exec(part);
    if (!match)
      throw new ConfigurationError(
        `${VAR} needs <field>=<ms> or <stage>.<field>=<ms>, comma-separated, got "${part}"`,
      );
    const [, named, field, ms] = match;
    if (named === undefined && names.length > 1)
      throw new ConfigurationError(
        `${VAR}: ${job.name} has the window stages ${names.join(', ')}: say which, like ${names[0]}.${field}=${ms}`,
      );
    const stage = named ?? names[0];
    const window = stages.get(stage);
    if (!window)
      throw new ConfigurationError(
        `${VAR} names "${stage}", but the window stages of ${job.name} are ${names.join(', ')}`,
      );
    const allowed = { ...FIELDS[window.assigner.kind], allowedLateness: 'allowedLatenessMs' };
    if (!(field in allowed))
      throw new ConfigurationError(
        `${VAR}: ${window.assigner.kind} windows of "${stage}" have ${Object.keys(allowed).join(', ')}, not "${field}"`,
      );
    changes.set(stage, {
      ...changes.get(stage),
      [allowed[field as keyof typeof allowed]]: Number(ms),
    });
  }
  const changed = (name: string, window: WindowSpec): WindowSpec => {
    const set = changes.get(name);
    if (!set) return window;
    const { allowedLatenessMs, ...assigner } = set;
    return {
      ...window,
      assigner: { ...window.assigner, ...assigner },
      ...(allowedLatenessMs !== undefined ? { allowedLatenessMs } : {}),
    };
  };
  const op = job.operator;
  return {
    ...job,
    operator:
      op?.kind === 'process' && op.window ? { ...op, window: changed(op.name, op.window) } : op,
    keyedStages: job.keyedStages?.map((s) =>
      s.window ? { ...s, window: changed(s.id, s.window) } : s,
    ),
  };
}

/** The window stages of a job by name: the operator's, each keyed stage's by id. */
function windowStages(job: JobSpec): Map<string, WindowSpec> {
  const stages = new Map<string, WindowSpec>();
  const op = job.operator;
  if (op?.kind === 'process' && op.window) stages.set(op.name, op.window);
  for (const s of job.keyedStages ?? []) if (s.window) stages.set(s.id, s.window);
  return stages;
}
