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

/**
 * Level from STREAM_GEN_LOG_LEVEL (debug|info|warn|error, any case), default info. An
 * unknown value logs at info and says so once, rather than failing a job over its logs.
 */
export function defaultLogger(prefix?: string, env: NodeJS.ProcessEnv = process.env): Logger {
  const raw = env.STREAM_GEN_LOG_LEVEL;
  const wanted = raw?.trim().toLowerCase() ?? '';
  const known = (LEVELS as readonly string[]).includes(wanted);
  const logger = consoleLogger(prefix, known ? (wanted as Level) : 'info');
  if (raw !== undefined && raw.trim() !== '' && !known) {
    logger.warn(
      `STREAM_GEN_LOG_LEVEL must be one of ${LEVELS.join(', ')}, got "${raw}": logging at info`,
    );
  }
  return logger;
}
