import { CHECK_TYPES } from './redis-scripts';
import { INSTALL_LUA } from './rewind-install';

/**
 * The Lua scripts of named savepoints (see savepoints.ts). Same rules as the other
 * scripts: every key in KEYS and under the task's hash tag, checks and reads first,
 * then only writes that cannot fail; JSON is copied, never decoded.
 *
 * Both scripts get the task's state hashes as pairs in KEYS (live hash, its copy in the
 * savepoint) with the state names in ARGV, and fail with SGSTATES <name> before any
 * write when the task's states set lists a name they were not given.
 */
const STATE_PAIRS = `${CHECK_TYPES}
-- KEYS[first + 2i - 1] is the live hash of state i, KEYS[first + 2i] its savepoint copy
local function check_state_pairs(first, n, states_key, names_from)
  local given = {}
  for i = 1, n do
    given[ARGV[names_from + i - 1]] = true
    local err = wrong_type(KEYS[first + 2 * i - 1], 'hash') or wrong_type(KEYS[first + 2 * i], 'hash')
    if err then return err end
  end
  for _, name in ipairs(redis.call('SMEMBERS', states_key)) do
    if not given[name] then return redis.error_reply('SGSTATES ' .. name) end
  end
  return nil
end
local function check_keys(want)
  for i = 1, #want do
    local err = wrong_type(KEYS[i], want[i])
    if err then return err end
  end
  return nil
end
-- copies hash 'from' over hash 'to' (to ends up absent when from is)
local function copy_hash(from, to)
  if redis.call('EXISTS', from) == 1 then
    redis.call('COPY', from, to, 'REPLACE')
  else
    redis.call('DEL', to)
  end
end
`;

/**
 * Records a savepoint of a task: a copy of every state hash and of the latest
 * checkpoint, under keys that checkpoint retention never touches.
 *
 * KEYS[1] head, KEYS[2] checkpoints, KEYS[3] states, KEYS[4] savepoints (set of names),
 * KEYS[5] the savepoint's hash, then per state i: KEYS[4 + 2i] its hash, KEYS[5 + 2i]
 * its copy. ARGV[1] savepoint name, ARGV[2] savedAt (epoch ms), ARGV[3] the state
 * names as a JSON array, ARGV[3 + i] the name of state i.
 * Returns {checkpoint id, checkpoint JSON, entries copied}. Errors (before any write):
 * SGEXISTS, SGNOCHECKPOINT, SGCORRUPT, SGSTATES, SGTYPE, SGARGS.
 */
export const TAKE_SAVEPOINT_SCRIPT = `${STATE_PAIRS}
-- phase 1: checks and reads only
local n = #ARGV - 3
if n < 0 or #KEYS ~= 5 + 2 * n or not string.match(ARGV[2], '^%d+$') then
  return redis.error_reply('SGARGS bad arguments to the savepoint script')
end
local err = check_keys({ 'hash', 'hash', 'set', 'set', 'hash' }) or check_state_pairs(5, n, KEYS[3], 4)
if err then return err end
if redis.call('SISMEMBER', KEYS[4], ARGV[1]) == 1 or redis.call('EXISTS', KEYS[5]) == 1 then
  return redis.error_reply('SGEXISTS savepoint "' .. ARGV[1] .. '" exists already')
end
local id = redis.call('HGET', KEYS[1], 'id')
if not id then return redis.error_reply('SGNOCHECKPOINT the task has no checkpoint yet') end
local checkpoint = redis.call('HGET', KEYS[2], id)
if not checkpoint then
  return redis.error_reply('SGCORRUPT ' .. KEYS[1] .. ' names checkpoint ' .. id .. ', which ' .. KEYS[2] .. ' does not hold')
end
local entries = 0
for i = 1, n do entries = entries + redis.call('HLEN', KEYS[4 + 2 * i]) end

-- phase 2: writes only
for i = 1, n do copy_hash(KEYS[4 + 2 * i], KEYS[5 + 2 * i]) end
redis.call('HSET', KEYS[5], 'id', id, 'savedAt', ARGV[2], 'states', ARGV[3],
  'keys', tostring(entries), 'checkpoint', checkpoint)
redis.call('SADD', KEYS[4], ARGV[1])
return { id, checkpoint, entries }
`;

/**
 * Rewinds a task to one of its savepoints: the state hashes become the savepoint's
 * copies, the savepoint's checkpoint (or the one to install in its place, see
 * rewind-install.ts) becomes the only retained one and the latest (the undo logs belong
 * to the discarded timeline and go), and the epoch moves on.
 *
 * KEYS[1] head, KEYS[2] checkpoints, KEYS[3] undo, KEYS[4] states, KEYS[5] the
 * savepoint's hash, then per state i: KEYS[4 + 2i] its hash, KEYS[5 + 2i] its copy.
 * ARGV[1] token, ARGV[2..4] what to install ('' for none), ARGV[4 + i] the name of
 * state i (the task's states and the savepoint's). Returns the checkpoint JSON.
 * Errors (before any write): SGNOSAVEPOINT, SGMOVED, SGSTATES, SGTYPE, SGARGS.
 */
export const RESTORE_SAVEPOINT_SCRIPT = `${STATE_PAIRS}${INSTALL_LUA}
-- phase 1: checks and reads only
local n = #ARGV - 4
if n < 0 or #KEYS ~= 5 + 2 * n then
  return redis.error_reply('SGARGS bad arguments to the savepoint restore script')
end
local err = check_keys({ 'hash', 'hash', 'hash', 'set', 'hash' }) or check_epoch()
  or check_install(2) or check_state_pairs(5, n, KEYS[4], 5)
if err then return err end
local id = redis.call('HGET', KEYS[5], 'id')
local checkpoint = redis.call('HGET', KEYS[5], 'checkpoint')
if not id or not checkpoint then return redis.error_reply('SGNOSAVEPOINT ' .. KEYS[5]) end

-- phase 2: writes only
for i = 1, n do
  copy_hash(KEYS[5 + 2 * i], KEYS[4 + 2 * i])
  redis.call('SADD', KEYS[4], ARGV[4 + i])
end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('HSET', KEYS[2], id, checkpoint)
redis.call('HSET', KEYS[1], 'id', id, 'token', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'epoch', 1)
return install(2, id) or checkpoint
`;
