import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { INSTALL_LUA } from './rewind-install';

/**
 * The Lua scripts of the Redis state backend. Keys always come in as KEYS, all under
 * one task's hash tag, so Redis Cluster routes each script to the node of that slot.
 *
 * Redis runs a script atomically (no other command runs in between, and replicas and
 * the AOF receive its effects as one MULTI/EXEC), but it does NOT roll back the writes
 * of a script that fails half way. So every script that writes has two phases: phase 1
 * reads and checks everything and may fail; phase 2 only writes, with commands that
 * cannot fail once phase 1 passed (types checked, arguments parsed, undo log encoded).
 *
 * JSON is never decoded or encoded in Lua (cjson rounds numbers to 14 digits): stored
 * entries and checkpoints are opaque strings made by Node's JSON.stringify. Checkpoint
 * ids are compared as numbers but always written from the caller's ARGV strings.
 */

/** Shared by the scripts that write: fail (in phase 1) on a key of the wrong type or a bad epoch. */
export const CHECK_TYPES = `
local function wrong_type(key, want)
  local t = redis.call('TYPE', key)['ok']
  if t ~= 'none' and t ~= want then
    return redis.error_reply('SGTYPE key ' .. key .. ' holds a ' .. t .. ', not a ' .. want)
  end
  return nil
end
-- the head's epoch must be an integer, so HINCRBY cannot fail in phase 2
local function check_epoch()
  local e = redis.call('HGET', KEYS[1], 'epoch')
  if e and not string.match(e, '^%d+$') then
    return redis.error_reply('SGTYPE the epoch of ' .. KEYS[1] .. ' is not an integer: ' .. e)
  end
  return nil
end
local function check_task_keys()
  local want = { 'hash', 'hash', 'hash', 'set' }
  for i = 1, #KEYS do
    local err = wrong_type(KEYS[i], want[i] or 'hash')
    if err then return err end
  end
  return nil
end
`;

/**
 * Reads many fields of several state hashes in one call.
 * KEYS: one state hash per group. ARGV: per group, its field count, then its fields.
 * Returns the values of all fields, in ARGV order (nil where absent).
 */
export const READ_SCRIPT = `
local out = {}
local n_out = 0
local a = 1
for k = 1, #KEYS do
  local n = tonumber(ARGV[a])
  a = a + 1
  local done = 0
  while done < n do
    local m = math.min(n - done, 1000)
    local values = redis.call('HMGET', KEYS[k], unpack(ARGV, a + done, a + done + m - 1))
    for j = 1, m do
      n_out = n_out + 1
      out[n_out] = values[j]
    end
    done = done + m
  end
  a = a + n
end
return out
`;

/**
 * The latest checkpoint. KEYS: head, checkpoints. Returns {epoch, id or nil, checkpoint
 * JSON or nil}; the id is nil when the task never checkpointed. The epoch counts the
 * rewinds of the task ('0' before the first): a commit passes the epoch its task
 * restored, so a process that restored before a rewind cannot commit after it.
 */
export const LATEST_SCRIPT = `
local epoch = redis.call('HGET', KEYS[1], 'epoch') or '0'
local id = redis.call('HGET', KEYS[1], 'id')
if not id then return { epoch } end
return { epoch, id, redis.call('HGET', KEYS[2], id) }
`;

/**
 * Commits one checkpoint of a task.
 *
 * KEYS[1] head, KEYS[2] checkpoints, KEYS[3] undo, KEYS[4] states,
 * KEYS[4 + i] the hash of state i (i = 1..S).
 * ARGV[1] checkpoint id, ARGV[2] commit token (random per commit call), ARGV[3] the
 * checkpoint JSON, ARGV[4] checkpoints to retain, ARGV[5] the epoch the task restored
 * ('' when it did not read the head: not checked), ARGV[6] S, ARGV[7 .. 6 + S] the
 * state names, then one triple per write: state index (1..S), field (the key), stored
 * JSON or '' to delete (a stored entry is a JSON object, never '').
 *
 * Returns 'OK', or 'DUPLICATE' when this very call was already applied (ioredis
 * resends unanswered commands after a reconnect). Errors: SGREWOUND <latest> when the
 * task was rewound since it restored, SGFENCED <latest> when the id is not latest + 1,
 * SGTYPE, SGARGS; all raised before the first write.
 */
export const COMMIT_SCRIPT = `${CHECK_TYPES}
-- phase 1: checks and reads only
local id = tonumber(ARGV[1])
local retain = tonumber(ARGV[4])
local s = tonumber(ARGV[6])
if not id or not retain or retain < 1 or not s or #KEYS ~= 4 + s then
  return redis.error_reply('SGARGS bad arguments to the commit script')
end
local first = 7 + s
local n_writes = (#ARGV - first + 1) / 3
if n_writes ~= math.floor(n_writes) then
  return redis.error_reply('SGARGS the writes are not triples')
end
local err = check_task_keys()
if err then return err end

local head = redis.call('HGET', KEYS[1], 'id')
if head == ARGV[1] and redis.call('HGET', KEYS[1], 'token') == ARGV[2] then
  return 'DUPLICATE'
end
if ARGV[5] ~= '' and (redis.call('HGET', KEYS[1], 'epoch') or '0') ~= ARGV[5] then
  return redis.error_reply('SGREWOUND ' .. (head or '0'))
end
local latest = 0
if head then latest = tonumber(head) end
if id ~= latest + 1 then
  return redis.error_reply('SGFENCED ' .. (head or '0'))
end

-- the undo log: state name, field, previous value (false: was absent), per write
local undo = {}
for w = 0, n_writes - 1 do
  local at = first + 3 * w
  local si = tonumber(ARGV[at])
  if not si or si < 1 or si > s or si ~= math.floor(si) then
    return redis.error_reply('SGARGS bad state index ' .. ARGV[at])
  end
  undo[3 * w + 1] = ARGV[6 + si]
  undo[3 * w + 2] = ARGV[at + 1]
  undo[3 * w + 3] = redis.call('HGET', KEYS[4 + si], ARGV[at + 1])
end
local oldest = id - retain + 1
local undo_blob = nil
if id > oldest and id > 1 then undo_blob = cmsgpack.pack(undo) end
local old_checkpoints = {}
for _, f in ipairs(redis.call('HKEYS', KEYS[2])) do
  local n = tonumber(f)
  if n and n < oldest then old_checkpoints[#old_checkpoints + 1] = f end
end
local old_undo = {}
for _, f in ipairs(redis.call('HKEYS', KEYS[3])) do
  local n = tonumber(f)
  if n and n <= oldest then old_undo[#old_undo + 1] = f end
end

-- phase 2: writes only
for w = 0, n_writes - 1 do
  local at = first + 3 * w
  local key = KEYS[4 + tonumber(ARGV[at])]
  if ARGV[at + 2] == '' then
    redis.call('HDEL', key, ARGV[at + 1])
  else
    redis.call('HSET', key, ARGV[at + 1], ARGV[at + 2])
  end
end
for i = 1, s do redis.call('SADD', KEYS[4], ARGV[6 + i]) end
if undo_blob then redis.call('HSET', KEYS[3], ARGV[1], undo_blob) end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[1], 'id', ARGV[1])
redis.call('HSET', KEYS[1], 'token', ARGV[2])
-- retention: checkpoints oldest..id; the undo log of checkpoint i is kept while
-- checkpoint i - 1 is (it is what rewinds i to i - 1)
for _, f in ipairs(old_checkpoints) do redis.call('HDEL', KEYS[2], f) end
for _, f in ipairs(old_undo) do redis.call('HDEL', KEYS[3], f) end
return 'OK'
`;

/**
 * Rewinds a task to a retained checkpoint: applies the undo logs newest first down to
 * the one after the target, drops the newer checkpoints and undo logs, makes the
 * target the latest and counts one more epoch (fencing every process that restored
 * before, even one whose next id would follow the target).
 *
 * KEYS[1] head, KEYS[2] checkpoints, KEYS[3] undo, KEYS[4] states, KEYS[4 + i] the
 * hash of state i. ARGV[1] target id, ARGV[2] token, ARGV[3..5] what to install (see
 * rewind-install.ts; '' for none), ARGV[5 + i] the name of state i.
 * Returns the target (or installed) checkpoint JSON. Errors (all before the first
 * write): SGNOTRETAINED <retained ids>, SGSTATES <name> (an undo log touches a state
 * whose hash was not passed: read the states set again and retry), SGUNDO, SGMOVED,
 * SGTYPE, SGARGS.
 */
export const REWIND_SCRIPT = `${CHECK_TYPES}${INSTALL_LUA}
-- phase 1: checks and reads only
local target = tonumber(ARGV[1])
if not target or #KEYS ~= #ARGV - 1 then
  return redis.error_reply('SGARGS bad arguments to the rewind script')
end
local err = check_task_keys() or check_install(3)
if err then return err end

local retained = {}
for _, f in ipairs(redis.call('HKEYS', KEYS[2])) do
  local n = tonumber(f)
  if n then retained[#retained + 1] = n end
end
table.sort(retained, function(a, b) return a > b end)
local head = redis.call('HGET', KEYS[1], 'id')
local latest = 0
if head then latest = tonumber(head) end
err = check_epoch()
if err then return err end
if target > latest or redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then
  for i = 1, #retained do retained[i] = string.format('%d', retained[i]) end
  return redis.error_reply('SGNOTRETAINED ' .. table.concat(retained, ','))
end

local logs = {}
for _, f in ipairs(redis.call('HKEYS', KEYS[3])) do
  local n = tonumber(f)
  if n and n > target then logs[#logs + 1] = { n = n, field = f } end
end
table.sort(logs, function(a, b) return a.n > b.n end)
if #logs ~= latest - target or (#logs > 0 and logs[1].n ~= latest) then
  return redis.error_reply('SGUNDO the undo logs from ' .. ARGV[1] .. ' to ' .. head .. ' are incomplete')
end
local state_key = {}
for i = 6, #ARGV do state_key[ARGV[i]] = KEYS[i - 1] end
local decoded = {}
for i, log in ipairs(logs) do
  local u = cmsgpack.unpack(redis.call('HGET', KEYS[3], log.field))
  for j = 1, #u, 3 do
    if not state_key[u[j]] then return redis.error_reply('SGSTATES ' .. u[j]) end
  end
  decoded[i] = u
end
local newer_checkpoints = {}
for _, f in ipairs(redis.call('HKEYS', KEYS[2])) do
  local n = tonumber(f)
  if n and n > target then newer_checkpoints[#newer_checkpoints + 1] = f end
end

-- phase 2: writes only, newest undo log first
for _, u in ipairs(decoded) do
  for j = 1, #u, 3 do
    if u[j + 2] then
      redis.call('HSET', state_key[u[j]], u[j + 1], u[j + 2])
    else
      redis.call('HDEL', state_key[u[j]], u[j + 1])
    end
  end
end
for _, log in ipairs(logs) do redis.call('HDEL', KEYS[3], log.field) end
for _, f in ipairs(newer_checkpoints) do redis.call('HDEL', KEYS[2], f) end
redis.call('HSET', KEYS[1], 'id', ARGV[1])
redis.call('HSET', KEYS[1], 'token', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'epoch', 1)
return install(3, ARGV[1]) or redis.call('HGET', KEYS[2], ARGV[1])
`;

export type RedisClient = Redis | Cluster;

/** A script run by EVALSHA, loaded with EVAL when the server does not know it yet. */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(
    client: RedisClient,
    keys: readonly string[],
    args: ReadonlyArray<string | number>,
  ): Promise<unknown> {
    const rest = [keys.length, ...keys, ...args];
    try {
      return await client.call('EVALSHA', [this.sha, ...rest]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      // EVAL runs the script and caches it on that node: next time EVALSHA finds it.
      return client.call('EVAL', [this.source, ...rest]);
    }
  }
}
