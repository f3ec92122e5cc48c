/** Every error stream-gen raises on purpose. `retriable` says whether trying again can help. */
export class StreamGenError extends Error {
  constructor(
    message: string,
    readonly retriable = false,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The job or its wiring is wrong; the message says what and how to fix it. */
export class ConfigurationError extends StreamGenError {}

/** A user function broke a rule of the runtime (for example used state it did not declare). */
export class UsageError extends StreamGenError {}
