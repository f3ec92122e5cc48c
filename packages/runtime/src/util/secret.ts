import { inspect } from 'node:util';

const HIDDEN = '***';

/**
 * A password or other secret as a value: logging it, interpolating it into a message,
 * JSON of an object that holds it (a status page, a debug dump) all show `***`. Only
 * {@link Secret.reveal}, called where the secret goes on the wire, gives it out.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  /** `text` with every occurrence of the secret replaced by `***` (for messages from elsewhere). */
  redact(text: string): string {
    return this.#value === '' ? text : text.split(this.#value).join(HIDDEN);
  }

  toString(): string {
    return HIDDEN;
  }

  toJSON(): string {
    return HIDDEN;
  }

  [inspect.custom](): string {
    return `Secret(${HIDDEN})`;
  }
}
