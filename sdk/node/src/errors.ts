/**
 * Every failed call throws a JobQueueError: an answer of the API outside 2xx (`status` is its HTTP status and
 * `message` the API's own error message), or no answer at all (`status` 0: the network failed or the request
 * timed out, with the underlying error as `cause`).
 */
export class JobQueueError extends Error {
  override readonly name = "JobQueueError";
  /** The HTTP status; 0 when no answer came. */
  readonly status: number;
  /** The request id the API gave the request (`meta.request_id`, or the `X-Request-Id` header). */
  readonly requestId: string | undefined;
  /** Seconds the API asked to wait (`Retry-After`, sent with 429 and 503). */
  readonly retryAfter: number | undefined;
  /** The method and path of the request that failed, e.g. `GET /api/v1/jobs/…`. */
  readonly request: string;

  constructor(
    message: string,
    details: { status: number; request: string; requestId?: string | undefined; retryAfter?: number | undefined; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.request = details.request;
    this.requestId = details.requestId;
    this.retryAfter = details.retryAfter;
  }
}

/**
 * Thrown by a worker's handler to fail the job for good: the job goes to the dead-letter queue at once instead of
 * being retried (any other error is retried while attempts are left).
 */
export class NonRetryableError extends Error {
  override readonly name = "NonRetryableError";
}
