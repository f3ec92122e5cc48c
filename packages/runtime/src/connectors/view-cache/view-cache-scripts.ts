import { LuaScript, type RedisClient } from '../../state/redis/redis-scripts';

/**
 * The Lua scripts of the Redis view cache (see redis-view-cache.ts), and how a batch of
 * them is sent. Each script touches the one key in KEYS[1], so a Redis Cluster can run
 * it on the node of that key; the version to write comes in ARGV[1] (lineage) and
 * ARGV[2] (checkpoint), decimal integers, written back as given. As in the state
 * backend's scripts, everything that can fail (types, stored versions, arguments) is
 * checked before the first write, and JSON is never decoded in Lua.
 */

/** Shared: the stored version of KEYS[1] against ARGV's, and the write of a value or a tombstone. */
const VERSION_LUA = `
-- 1 when (lineage, checkpoint) is newer than ARGV's, 0 when equal, -1 when older
local function compare(lineage, checkpoint)
  local l, c = tonumber(ARGV[1]), tonumber(ARGV[2])
  if lineage ~= l then return lineage > l and 1 or -1 end
  if checkpoint ~= c then return checkpoint > c and 1 or -1 end
  return 0
end
-- an error when ARGV's version (or TTL in ms, if given: '' for none) is not what Node sends
local function bad_args()
  local ttl = ARGV[3]
  if not string.match(ARGV[1] or '', '^%d+$') or not string.match(ARGV[2] or '', '^%d+$')
      or (ttl and ttl ~= '' and not string.match(ttl, '^[1-9]%d*$')) then
    return 'SGARGS bad version or TTL'
  end
  return nil
end
-- compare() of the version stored in KEYS[1] (-1 when it does not exist), or nil and an error
local function compare_stored()
  local err = bad_args()
  if err then return nil, err end
  -- WRONGTYPE on a key that is not a hash: raised here, before any write
  local v = redis.call('HMGET', KEYS[1], 'lineage', 'checkpoint')
  if not v[1] and not v[2] then
    if redis.call('EXISTS', KEYS[1]) == 1 then
      return nil, 'SGTYPE ' .. KEYS[1] .. ' is a hash without a version: not a view cache key'
    end
    return -1
  end
  local l, c = tonumber(v[1] or ''), tonumber(v[2] or '')
  if not l or not c then
    return nil, 'SGTYPE the version of ' .. KEYS[1] .. ' is not two numbers'
  end
  return compare(l, c)
end
-- sets the value (JSON text, or '' for a tombstone) at ARGV's version, and the TTL ARGV[3] ('' for none)
local function put(value)
  if value == '' then
    redis.call('HDEL', KEYS[1], 'value')
    redis.call('HSET', KEYS[1], 'lineage', ARGV[1], 'checkpoint', ARGV[2])
  else
    redis.call('HSET', KEYS[1], 'value', value, 'lineage', ARGV[1], 'checkpoint', ARGV[2])
  end
  if ARGV[3] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
end
`;

/**
 * Writes one key unless its stored version is newer: the same version writes again (a
 * replay writes the same value). ARGV[3] TTL in ms or '', ARGV[4] the value's JSON text,
 * or '' for a tombstone (JSON text is never empty). Returns 1 written, 0 skipped.
 */
export const WRITE_SCRIPT = `${VERSION_LUA}
local cmp, err = compare_stored()
if not cmp then return redis.error_reply(err) end
if cmp > 0 then return 0 end
put(ARGV[4])
return 1
`;

/**
 * Removes the value of a key a republish did not name, when its version is strictly
 * older than the republish's (a key written at that very version is part of it), and
 * leaves a tombstone at the republish's version. ARGV[3] TTL in ms or ''. Returns 1 when
 * a value was removed, else 0 (kept, or already a tombstone).
 */
export const REMOVE_SCRIPT = `${VERSION_LUA}
local cmp, err = compare_stored()
if not cmp then return redis.error_reply(err) end
if cmp >= 0 then return 0 end
local had = redis.call('HEXISTS', KEYS[1], 'value')
put('')
return had
`;

/**
 * Moves the task's marker (a string "<lineage> <checkpoint>") to ARGV's version unless
 * it holds a newer one. Returns 1 set, 0 kept.
 */
export const MARKER_SCRIPT = `${VERSION_LUA}
local err = bad_args()
if err then return redis.error_reply(err) end
local stored = redis.call('GET', KEYS[1])
if stored then
  local l, c = string.match(stored, '^(%d+) (%d+)$')
  if not l then
    return redis.error_reply('SGTYPE ' .. KEYS[1] .. ' does not hold "<lineage> <checkpoint>": ' .. stored)
  end
  if compare(tonumber(l), tonumber(c)) > 0 then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2])
return 1
`;

/** A command and its arguments, all of one key (or of keys of one hash tag). */
export type RedisCommand = readonly [name: string, ...args: string[]];

/** What ioredis answers per command of a pipeline: an error, or the result. */
export type Reply = readonly [error: Error | null, result: unknown];

/**
 * Sends `commands` in one round trip and returns their replies, in order. On one server
 * that is one pipeline, which the server runs in order. A pipeline of an ioredis Cluster
 * must stay on one node, so on a Cluster the commands are sent together instead, each
 * to the node of its key (ioredis writes them out without waiting for the replies): one
 * round trip per node, in no order across nodes.
 */
export async function sendAll(
  client: RedisClient,
  commands: readonly RedisCommand[],
): Promise<Reply[]> {
  if (commands.length === 0) return [];
  if (client.isCluster) {
    return Promise.all(
      commands.map(([name, ...args]) =>
        client.call(name, args).then(
          (result): Reply => [null, result],
          (error: unknown): Reply => [
            error instanceof Error ? error : new Error(String(error)),
            null,
          ],
        ),
      ),
    );
  }
  const pipeline = client.pipeline();
  for (const [name, ...args] of commands) pipeline.call(name, ...args);
  return ((await pipeline.exec()) ?? []) as Reply[];
}

/** One run of a script: its key and its ARGV. */
export interface ScriptCall {
  readonly key: string;
  readonly args: readonly string[];
}

/**
 * Runs `script` once per call with {@link sendAll}, after the commands `before`, which
 * Redis runs first: on one server ahead of them in the pipeline (which goes on after an
 * error, so `before` should be commands that fail only when the scripts would too: a
 * lost connection, OOM); on a Cluster sent, and answered, before them, and when one of
 * them fails the scripts are not sent (their replies are that error). Returns the
 * replies of `before`, then of the calls, in order.
 *
 * The scripts go as EVALSHA, not one `LuaScript.run` each (which would cost a round trip
 * per call). A server that lost its scripts (a restart, SCRIPT FLUSH) answers NOSCRIPT
 * and runs nothing, so those calls are sent once more: on one server the first as EVAL,
 * which caches the script for the EVALSHA of the others behind it in the same pipeline;
 * on a Cluster each as EVAL, as they may be on different nodes.
 */
export async function runEach(
  client: RedisClient,
  script: LuaScript,
  calls: readonly ScriptCall[],
  before: readonly RedisCommand[] = [],
): Promise<Reply[]> {
  const command = (call: ScriptCall, withSource: boolean): RedisCommand => [
    withSource ? 'EVAL' : 'EVALSHA',
    withSource ? script.source : script.sha,
    '1',
    call.key,
    ...call.args,
  ];
  const scripts = calls.map((call) => command(call, false));
  let replies: Reply[];
  if (client.isCluster && before.length > 0) {
    replies = await sendAll(client, before);
    const failed = replies.find(([error]) => error);
    if (failed) return [...replies, ...calls.map((): Reply => [failed[0], null])];
    replies.push(...(await sendAll(client, scripts)));
  } else {
    replies = await sendAll(client, [...before, ...scripts]);
  }
  const lost = calls
    .map((_, i) => i)
    .filter((i) => replies[before.length + i][0]?.message.startsWith('NOSCRIPT'));
  if (lost.length === 0) return replies;
  const again = await sendAll(
    client,
    lost.map((i, n) => command(calls[i], n === 0 || client.isCluster)),
  );
  lost.forEach((i, n) => (replies[before.length + i] = again[n]));
  return replies;
}

export const writeScript = new LuaScript(WRITE_SCRIPT);
export const removeScript = new LuaScript(REMOVE_SCRIPT);
export const markerScript = new LuaScript(MARKER_SCRIPT);
