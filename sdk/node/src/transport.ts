import { JobQueueError } from "./errors.js";

export interface TransportOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  token?: string | undefined;
  timeoutMs: number;
  maxRetries: number;
}

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

export interface Call {
  method: Method;
  path: string;
  query?: Record<string, string | number | boolean | undefined> | undefined;
  body?: unknown;
  /** Safe to send twice: retried on 503 and network errors (every call is retried on 429). Default: GET and DELETE. */
  idempotent?: boolean;
  /** Added to the timeout: a long poll holds the answer back this long on purpose. */
  extraTimeoutMs?: number;
  signal?: AbortSignal | undefined;
}

/** What came back: the HTTP status, the parsed JSON body (undefined when empty) and the headers. */
export interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

/** The longest Retry-After a 429 is waited out for; beyond it (a monthly job limit resets in days) it is thrown. */
const maxRetryAfterSeconds = 60;
/** First backoff of a retry without Retry-After, doubled each time up to the cap, with ±50 % jitter. */
const backoffBaseMs = 250;
const backoffCapMs = 5_000;

/**
 * Sends one call with the retry rules: a 429 is retried for every call after its Retry-After; a 503 and a network
 * error only for idempotent calls (a POST that reached the server may have done its work), with exponential
 * backoff, up to `maxRetries` retries. Any other answer outside 2xx is thrown as a JobQueueError at once.
 */
export async function send(options: TransportOptions, call: Call, acceptStatus: (status: number) => boolean = isSuccess): Promise<Answer> {
  const url = urlOf(options.baseUrl, call.path, call.query);
  const label = `${call.method} ${call.path}`;
  const idempotent = call.idempotent ?? (call.method === "GET" || call.method === "DELETE");
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.apiKey !== undefined) headers["X-API-Key"] = options.apiKey;
  if (options.token !== undefined) headers["Authorization"] = `Bearer ${options.token}`;
  let body: string | undefined;
  if (call.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(call.body);
  }

  for (let retry = 0; ; retry++) {
    let answer: Answer;
    try {
      answer = await exchange(url, { method: call.method, headers, body }, options.timeoutMs + (call.extraTimeoutMs ?? 0), call.signal);
    } catch (error) {
      if (call.signal?.aborted) throw error;
      if (!idempotent || retry >= options.maxRetries) {
        throw new JobQueueError(`${label} failed: ${describe(error)}`, { status: 0, request: label, cause: error });
      }
      await sleep(backoff(retry), call.signal);
      continue;
    }

    if (acceptStatus(answer.status)) return answer;
    const failure = errorOf(answer, label);
    const waitSeconds = failure.retryAfter;
    const retryable =
      (answer.status === 429 && (waitSeconds ?? 0) <= maxRetryAfterSeconds) ||
      (answer.status === 503 && idempotent);
    if (!retryable || retry >= options.maxRetries) throw failure;
    await sleep(waitSeconds !== undefined ? waitSeconds * 1000 : backoff(retry), call.signal);
  }
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** The `data` of an enveloped answer. */
export function dataOf<T>(answer: Answer): T {
  return (answer.body as { data: T }).data;
}

/** The JobQueueError for an answer: the envelope's `error` as the message, the request id, Retry-After. */
export function errorOf(answer: Answer, label: string): JobQueueError {
  const envelope = answer.body as { error?: unknown; meta?: { request_id?: unknown } } | undefined;
  const message = typeof envelope?.error === "string" && envelope.error.length > 0 ? envelope.error : `HTTP ${answer.status}`;
  const requestId = typeof envelope?.meta?.request_id === "string" ? envelope.meta.request_id : answer.headers.get("X-Request-Id") ?? undefined;
  const retryAfterHeader = answer.headers.get("Retry-After");
  const retryAfter = retryAfterHeader !== null && /^\d+$/.test(retryAfterHeader) ? Number(retryAfterHeader) : undefined;
  return new JobQueueError(message, { status: answer.status, request: label, requestId, retryAfter });
}

async function exchange(url: string, init: { method: Method; headers: Record<string, string>; body: string | undefined }, timeoutMs: number, signal: AbortSignal | undefined): Promise<Answer> {
  // One controller for both the timeout and the caller's signal (AbortSignal.any needs Node 20.3).
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  const forward = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", forward, { once: true });
  if (signal?.aborted) forward();
  try {
    const response = await fetch(url, { ...init, signal: controller.signal });
    const text = await response.text();
    let body: unknown;
    if (text.length > 0) {
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON (a proxy's HTML error page): keep the text so the error can say something.
        body = { error: `HTTP ${response.status}: ${text.slice(0, 200)}` };
      }
    }
    return { status: response.status, body, headers: response.headers };
  } catch (error) {
    // fetch reports an abort as a bare AbortError; say why it was aborted.
    throw controller.signal.aborted && !signal?.aborted ? controller.signal.reason : error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", forward);
  }
}

function urlOf(baseUrl: string, path: string, query: Call["query"]): string {
  const url = new URL(path, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  return url.toString();
}

function backoff(retry: number): number {
  const ms = Math.min(backoffCapMs, backoffBaseMs * 2 ** retry);
  return ms * (0.5 + Math.random());
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici puts the real reason (ECONNREFUSED, …) in cause.
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}

/** Waits `ms`, or less when the signal aborts (then it rejects with the signal's reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
