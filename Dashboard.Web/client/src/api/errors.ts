/** An answer that was not a success, carrying the API's own words (the envelope's `error`) for the page to show. */
export class ApiError extends Error {
  readonly status: number;
  /** Seconds the server asked us to wait (429 Retry-After), or null. */
  readonly retryAfterSeconds: number | null;

  constructor(status: number, message: string, retryAfterSeconds: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * The message to show for a failed answer: the envelope's `error` when the body is one (every JobQueue service
 * answers errors that way, 401 and 429 included); otherwise the HTTP status, since a proxy's HTML page or an empty
 * body has nothing better to say.
 */
export function errorMessageOf(status: number, statusText: string, body: unknown): string {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const error = (body as { error: unknown }).error;
    if (typeof error === 'string' && error.trim().length > 0) {
      return error;
    }
  }
  const reason = statusText.trim();
  return reason.length > 0 ? `HTTP ${status} ${reason}` : `HTTP ${status}`;
}

/** Whatever was thrown, as a sentence for a role="alert". */
export function describeError(error: unknown): string {
  if (error instanceof ApiError || error instanceof Error) {
    return error.message;
  }
  return String(error);
}

/** Retry-After in whole seconds (RFC 9110 also allows an HTTP date; the gateway sends seconds). */
export function parseRetryAfter(value: string | null): number | null {
  if (value === null) {
    return null;
  }
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}
