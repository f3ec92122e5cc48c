export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];

/** Logs to stderr, so that stdout stays free for the job's own output. */
export function consoleLogger(prefix = 'stream-gen', minLevel: Level = 'info'): Logger {
  const min = LEVELS.indexOf(minLevel);
  const at = (level: Level) => (message: string) => {
    if (LEVELS.indexOf(level) >= min) {
      process.stderr.write(
        `${new Date().toISOString()} ${level.toUpperCase()} [${prefix}] ${message}\n`,
      );
    }
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Level from STREAM_GEN_LOG_LEVEL (debug|info|warn|error), default info. */
export function defaultLogger(prefix?: string): Logger {
  const wanted = process.env.STREAM_GEN_LOG_LEVEL as Level | undefined;
  return consoleLogger(prefix, wanted && LEVELS.includes(wanted) ? wanted : 'info');
}
