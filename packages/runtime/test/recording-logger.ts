import type { Logger } from '../src';

/** A logger that keeps what it is told: info as is, the other levels prefixed (`warn ...`). */
export function recordingLogger(): Logger & { readonly logs: string[] } {
  const logs: string[] = [];
  return {
    logs,
    debug: () => undefined,
    info: (m) => logs.push(m),
    warn: (m) => logs.push(`warn ${m}`),
    error: (m) => logs.push(`error ${m}`),
  };
}
