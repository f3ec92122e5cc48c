import { Redis } from 'ioredis';

type SendCommand = Redis['sendCommand'];

let roundTrips = 0;
/** Per command name: calls sent on their own and the ms until their reply, summed. */
const waits: Record<string, { calls: number; ms: number }> = {};
let installed = false;

/**
 * Counts the round trips of every ioredis client of this process: a command sent on
 * its own is one; a command sent as part of a pipeline is not counted here (the one
 * who runs the pipeline counts its exec). Counted in the client because the server's
 * INFO commandstats also counts the commands that Lua scripts run. Also sums, per
 * command name, how long the process waited for the replies.
 */
export function countRedisRoundTrips(): () => number {
  if (!installed) {
    installed = true;
    const original: SendCommand = Redis.prototype.sendCommand;
    Redis.prototype.sendCommand = function (this: Redis, command, stream) {
      const reply = original.call(this, command, stream) as Promise<unknown>;
      if (stream === undefined) {
        roundTrips++;
        const started = performance.now();
        const wait = (waits[command.name] ??= { calls: 0, ms: 0 });
        const done = () => {
          wait.calls++;
          wait.ms += performance.now() - started;
        };
        reply.then(done, done);
      }
      return reply;
    };
  }
  return () => roundTrips;
}

/** `<command>Ms` and `<command>Calls` of the replies waited for so far, for window deltas. */
export function redisWaits(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, w] of Object.entries(waits)) {
    out[`${name}Calls`] = w.calls;
    out[`${name}Ms`] = w.ms;
  }
  return out;
}
