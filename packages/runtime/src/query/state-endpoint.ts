import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '../util/error-message';
import type { QueryAnswer, StateQuery } from './state-query';
import type { TaskOwners } from './task-owners';

/** Set on a query one process forwards to another: the owner answers it or says 503, never forwards again. */
export const FORWARDED_HEADER = 'stream-gen-forwarded';
/** The task whose state answered. */
export const TASK_HEADER = 'stream-gen-task';
/** The process that answered (an instance id). */
export const SERVED_BY_HEADER = 'stream-gen-served-by';

/** What the endpoint needs: a job that answers from its own tasks, and the registry of the others. */
export interface StateEndpointTarget {
  queryState(query: StateQuery): Promise<QueryAnswer>;
  readonly instance: string;
  /** Absent when the job runs alone (embedded): every task is here. */
  readonly owners?: TaskOwners;
  readonly now: () => number;
}

/** Seconds a client waits before asking again for a key whose task is moving. */
const RETRY_AFTER_S = 1;

/** `GET /state/<stage>/<state>/<key>`, each part URL-encoded; undefined for any other path. */
export function parseStatePath(url: string): StateQuery | undefined {
  const path = url.split('?')[0];
  const match = /^\/state\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(path);
  if (!match) return undefined;
  try {
    const [stage, state, key] = match.slice(1).map(decodeURIComponent);
    return { stage, state, key };
  } catch {
    return undefined;
  }
}

/**
 * Answers a state query (Kafka Streams' interactive queries): from the key's task when
 * this process runs it (200: the live value, `null` when the key has none, with the
 * task's latest checkpoint), else forwarded once to the owner the registry names. A
 * key whose task no process runs now, or whose owner does not run it (any more), is
 * moving: 503 with `Retry-After`, never a value from elsewhere.
 */
export async function answerStateRequest(
  req: IncomingMessage,
  res: ServerResponse,
  query: StateQuery,
  target: StateEndpointTarget,
): Promise<void> {
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      [SERVED_BY_HEADER]: target.instance,
      ...headers,
    });
    res.end(JSON.stringify(body));
  };
  const moving = (reason: string) =>
    send(503, { error: reason }, { 'retry-after': String(RETRY_AFTER_S) });
  try {
    const answer = await target.queryState(query);
    if (answer.kind === 'unknown') return send(404, { error: answer.reason });
    if (answer.kind === 'value') {
      return send(
        200,
        { ...query, value: answer.value ?? null, task: answer.task, checkpoint: answer.checkpoint },
        { [TASK_HEADER]: answer.task },
      );
    }
    if (req.headers[FORWARDED_HEADER] !== undefined || !target.owners) {
      return moving(`task ${answer.task} is not open here: it is moving`);
    }
    const owner = await target.owners.owner(answer.task, target.now());
    if (!owner || owner.instance === target.instance) {
      return moving(`task ${answer.task} has no owner now: it is moving`);
    }
    const forwarded = await fetch(`${owner.url}${req.url}`, {
      headers: { [FORWARDED_HEADER]: target.instance },
      signal: AbortSignal.timeout(5000),
    });
    const body = await forwarded.text(); // whole, before an answer starts
    const headers: Record<string, string> = {};
    for (const name of [TASK_HEADER, SERVED_BY_HEADER, 'retry-after']) {
      const value = forwarded.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    res.writeHead(forwarded.status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  } catch (error) {
    if (res.headersSent) res.destroy();
    else
      moving(
        `the state of ${query.stage}.${query.state} could not be read: ${errorMessage(error)}`,
      );
  }
}
