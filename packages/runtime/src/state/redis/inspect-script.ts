/**
 * Reads what `stream-gen checkpoints` shows of a task in one atomic step (read only).
 * KEYS[1] head, KEYS[2] checkpoints, KEYS[2 + i] the hash of state i.
 * Returns {HGETALL head, HGETALL checkpoints, {HLEN, MEMORY USAGE} per state}; MEMORY
 * USAGE samples large hashes (Redis' default), so its bytes are an estimate.
 */
export const INSPECT_SCRIPT = `
local sizes = {}
for i = 3, #KEYS do
  sizes[i - 2] = { redis.call('HLEN', KEYS[i]), redis.call('MEMORY', 'USAGE', KEYS[i]) or 0 }
end
return { redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), sizes }
`;
