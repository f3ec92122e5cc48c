import { ConfigurationError } from '../src/util/errors';

/** The message of what `read` throws, checked to be a ConfigurationError. */
export function refusal(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}
