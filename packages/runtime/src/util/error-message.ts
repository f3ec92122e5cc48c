/**
 * The message of anything thrown, for logs and dead-letter reasons. An error of another
 * realm (a sandbox, a vm context) is not `instanceof Error` here, so anything with a
 * string `message` counts as one.
 */
export function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  if (error instanceof Error || typeof message === 'string') {
    const e = error as { message?: string; name?: string };
    return e.message || e.name || 'Error';
  }
  return typeof error === 'string' ? error : (JSON.stringify(error) ?? String(error));
}
