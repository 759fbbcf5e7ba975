import { JobQueueError } from "./errors.js";
import type {
  APIKey,
  BillingUrl,
  CancelResult,
  CheckoutRequest,
  CompleteRequest,
  CreateCronRequest,
  CreatedAPIKey,
  CreateWebhookRequest,
  CronSchedule,
  CursorOptions,
  Deleted,
  DLQEntry,
  EnqueueRequest,
  FailRequest,
  Health,
  HeartbeatRequest,
  HeartbeatResult,
  Job,
  JobAttempt,
  JobCursorPage,
  JobFilter,
  Json,
  LeasedJob,
  LeaseRequest,
  ListDLQOptions,
  ListJobsOptions,
  LoginResult,
  Message,
  Page,
  PatchCronRequest,
  PatchWebhookRequest,
  PurgeResult,
  RegisterResult,
  RequeueResult,
  Stats,
  Tier,
  Usage,
  WebhookDelivery,
  WebhookTestResult,
  Webhook,
  WorkerInfo,
} from "./models.js";
import { type Answer, type Call, dataOf, send, type TransportOptions } from "./transport.js";

export interface JobQueueClientOptions {
  /** The gateway, e.g. `http://localhost:8080`. */
  baseUrl: string;
  /** An account key (`qly_…`), the static API_KEY or the operator's ADMIN_KEY, sent as `X-API-Key`. */
  apiKey?: string;
  /** A login token from `register`/`login`, sent as `Authorization: Bearer` (the portal routes need one). */
  token?: string;
  /** Per attempt of a request; default 30 s. */
  timeoutMs?: number;
  /** Retries of a request refused with 429 (any request) or 503 / a network error (idempotent ones); default 3. */
  maxRetries?: number;
}

/** Options a single call takes. */
export interface CallOptions {
  /** Aborts the request (and its retries). */
  signal?: AbortSignal;
}

/**
 * A client of the JobQueue HTTP API. Each method is one route; answers come unwrapped from the
 * `{data, error, meta}` envelope, and every failure is a {@link JobQueueError} with the API's message and status.
 */
export class JobQueueClient {
  private readonly transport: TransportOptions;

  constructor(options: JobQueueClientOptions);
  /** The original `@jobqueue/client`'s form: `new JobQueueClient(baseURL, { apiKey })`. */
  constructor(baseUrl: string, options?: Omit<JobQueueClientOptions, "baseUrl">);
  constructor(first: string | JobQueueClientOptions, rest: Omit<JobQueueClientOptions, "baseUrl"> = {}) {
    const options = typeof first === "string" ? { ...rest, baseUrl: first } : first;
    if (!options.baseUrl) throw new TypeError("JobQueueClient: baseUrl is required");
    if (options.apiKey !== undefined && options.token !== undefined) {
      // The server takes the first credential it recognises, so sending both would act as one of them silently.
      throw new TypeError("JobQueueClient: give apiKey or token, not both");
    }
    this.transport = {
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      token: options.token,
      timeoutMs: options.timeoutMs ?? 30_000,
      maxRetries: options.maxRetries ?? 3,
    };
  }

  // ---- Jobs

  /** `POST /api/v1/jobs`: the job as stored (201). */
  enqueue(request: EnqueueRequest): Promise<Job> {
    return this.data({ method: "POST", path: "/api/v1/jobs", body: request });
  }

  /** `POST /api/v1/jobs/batch`: 1–500 jobs in one transaction; one invalid item rejects all. */
  enqueueBatch(requests: EnqueueRequest[]): Promise<Job[]> {
    return this.data({ method: "POST", path: "/api/v1/jobs/batch", body: requests });
  }

  /** `GET /api/v1/jobs/{id}`. */
  getJob(id: string): Promise<Job> {
    return this.data({ method: "GET", path: `/api/v1/jobs/${segment(id)}` });
  }

  /** `GET /api/v1/jobs`: one offset page (newest first). */
  listJobs(options: ListJobsOptions = {}): Promise<Page<Job>> {
    const { limit, offset, ...filter } = options;
    return this.page({ method: "GET", path: "/api/v1/jobs", query: { ...filterQuery(filter), limit, offset } });
  }

  /** `GET /api/v1/jobs/cursor`: one keyset page; pass its `next_cursor` back for the next. */
  listJobsCursor(options: CursorOptions = {}, call: CallOptions = {}): Promise<JobCursorPage> {
    const { cursor, limit, ...filter } = options;
    return this.data({ method: "GET", path: "/api/v1/jobs/cursor", query: { ...filterQuery(filter), cursor, limit }, signal: call.signal });
  }

  /**
   * Every job matching the filter, newest first, fetched page by page over `/api/v1/jobs/cursor` as the loop asks
   * for them: `for await (const job of client.jobs({ status: "pending" })) …`. `limit` is the page size.
   */
  async *jobs(filter: JobFilter & { limit?: number } = {}, call: CallOptions = {}): AsyncGenerator<Job, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.listJobsCursor({ ...filter, cursor }, call);
      yield* page.items;
      cursor = page.has_more && page.next_cursor ? page.next_cursor : undefined;
    } while (cursor !== undefined);
  }

  /** `DELETE /api/v1/jobs/{id}`: a waiting job is cancelled; a running one is asked to stop (`cancel_requested`). */
  cancelJob(id: string): Promise<CancelResult> {
    return this.data({ method: "DELETE", path: `/api/v1/jobs/${segment(id)}` });
  }

  /** `POST /api/v1/jobs/{id}/retry`: a failed or dead job starts over. */
  retryJob(id: string): Promise<Job> {
    return this.data({ method: "POST", path: `/api/v1/jobs/${segment(id)}/retry` });
  }

  /** `GET /api/v1/jobs/{id}/result`: the stored result JSON itself, or null while there is none (204). */
  async getJobResult(id: string): Promise<Json | null> {
    const answer = await this.send({ method: "GET", path: `/api/v1/jobs/${segment(id)}/result` });
    return answer.status === 204 ? null : (answer.body as Json);
  }

  /** `GET /api/v1/jobs/{id}/attempts`: every attempt, oldest first. */
  async getJobAttempts(id: string): Promise<JobAttempt[]> {
    return (await this.data<{ items: JobAttempt[] }>({ method: "GET", path: `/api/v1/jobs/${segment(id)}/attempts` })).items;
  }

  /** `DELETE /api/v1/jobs?before=…`: deletes the caller's ended jobs that ended before the time. */
  purgeJobs(before: Date | string): Promise<PurgeResult> {
    return this.data({ method: "DELETE", path: "/api/v1/jobs", query: { before: timeOf(before) } });
  }

  // ---- Dead-letter queue

  /** `GET /api/v1/dlq`. The original's positional `listDLQ(limit, offset)` works too. */
  listDLQ(options: ListDLQOptions | number = {}, offset?: number): Promise<Page<DLQEntry>> {
    const query = typeof options === "number" ? { limit: options, offset } : { ...options };
    return this.page({ method: "GET", path: "/api/v1/dlq", query });
  }

  /** `POST /api/v1/dlq/{id}/requeue`: a fresh job from the entry (201). */
  requeueDLQ(dlqId: string): Promise<RequeueResult> {
    return this.data({ method: "POST", path: `/api/v1/dlq/${segment(dlqId)}/requeue` });
  }

  // ---- Stats and workers

  /** `GET /api/v1/stats`, the caller's. */
  getStats(): Promise<Stats> {
    return this.data({ method: "GET", path: "/api/v1/stats" });
  }

  /** `GET /api/v1/workers`: built-in workers and the caller's remote ones (active only unless `activeOnly: false`). */
  listWorkers(options: { activeOnly?: boolean } = {}): Promise<WorkerInfo[]> {
    return this.data({ method: "GET", path: "/api/v1/workers", query: { active_only: options.activeOnly } });
  }

  /** `DELETE /api/v1/workers/{id}`: a remote worker says it stopped (204). */
  async deleteWorker(workerId: string): Promise<void> {
    await this.send({ method: "DELETE", path: `/api/v1/workers/${segment(workerId)}` });
  }

  // ---- The lease protocol (what Worker uses; for writing a worker of your own)

  /** `POST /api/v1/workers/lease`: up to `max` ready jobs of the types, each leased; waits up to `wait_seconds` for one. */
  leaseJobs(request: LeaseRequest, call: CallOptions = {}): Promise<LeasedJob[]> {
    return this.data({
      method: "POST",
      path: "/api/v1/workers/lease",
      body: request,
      extraTimeoutMs: (request.wait_seconds ?? 0) * 1000,
      signal: call.signal,
    });
  }

  /** `POST /api/v1/jobs/{id}/heartbeat`: extends the lease; says whether cancellation was requested. 409: lease lost. */
  heartbeatJob(id: string, request: HeartbeatRequest, call: CallOptions = {}): Promise<HeartbeatResult> {
    // Extending a lease twice is the same as once: safe to retry.
    return this.data({ method: "POST", path: `/api/v1/jobs/${segment(id)}/heartbeat`, body: request, idempotent: true, signal: call.signal });
  }

  /** `POST /api/v1/jobs/{id}/complete`: the job is completed with the result. 409: lease lost. */
  completeJob(id: string, request: CompleteRequest, call: CallOptions = {}): Promise<Job> {
    return this.data({ method: "POST", path: `/api/v1/jobs/${segment(id)}/complete`, body: request, signal: call.signal });
  }

  /** `POST /api/v1/jobs/{id}/fail`: failed (retried later), dead, or cancelled when that was requested. 409: lease lost. */
  failJob(id: string, request: FailRequest, call: CallOptions = {}): Promise<Job> {
    return this.data({ method: "POST", path: `/api/v1/jobs/${segment(id)}/fail`, body: request, signal: call.signal });
  }

  // ---- Webhooks

  /** `GET /api/v1/webhooks`, newest first; never their secrets. */
  listWebhooks(): Promise<Webhook[]> {
    return this.data({ method: "GET", path: "/api/v1/webhooks" });
  }

  /** `POST /api/v1/webhooks`; without a secret the answer carries a generated one, shown this once. */
  createWebhook(request: CreateWebhookRequest): Promise<Webhook> {
    return this.data({ method: "POST", path: "/api/v1/webhooks", body: request });
  }

  /** `GET /api/v1/webhooks/{id}`. */
  getWebhook(id: string): Promise<Webhook> {
    return this.data({ method: "GET", path: `/api/v1/webhooks/${segment(id)}` });
  }

  /** `PATCH /api/v1/webhooks/{id}`: any of url, events, secret (rotation), description, enabled. */
  patchWebhook(id: string, patch: PatchWebhookRequest): Promise<Webhook> {
    return this.data({ method: "PATCH", path: `/api/v1/webhooks/${segment(id)}`, body: patch, idempotent: true });
  }

  /** `DELETE /api/v1/webhooks/{id}`, with its delivery log. */
  deleteWebhook(id: string): Promise<Deleted> {
    return this.data({ method: "DELETE", path: `/api/v1/webhooks/${segment(id)}` });
  }

  /** `GET /api/v1/webhooks/{id}/deliveries`: newest first, each with its attempts. */
  listWebhookDeliveries(id: string, options: { limit?: number; offset?: number } = {}): Promise<Page<WebhookDelivery>> {
    return this.page({ method: "GET", path: `/api/v1/webhooks/${segment(id)}/deliveries`, query: { ...options } });
  }

  /** `POST /api/v1/webhooks/{id}/test`: queues a signed `webhook.test` delivery (202). */
  testWebhook(id: string): Promise<WebhookTestResult> {
    return this.data({ method: "POST", path: `/api/v1/webhooks/${segment(id)}/test` });
  }

  // ---- Cron

  /** `GET /api/v1/cron`, by name. */
  listCron(): Promise<CronSchedule[]> {
    return this.data({ method: "GET", path: "/api/v1/cron" });
  }

  /** `POST /api/v1/cron`. */
  createCron(request: CreateCronRequest): Promise<CronSchedule> {
    return this.data({ method: "POST", path: "/api/v1/cron", body: request });
  }

  /** `GET /api/v1/cron/{id}`. */
  getCron(id: string): Promise<CronSchedule> {
    return this.data({ method: "GET", path: `/api/v1/cron/${segment(id)}` });
  }

  /** `PATCH /api/v1/cron/{id}` (pause with `{ enabled: false }`). */
  patchCron(id: string, patch: PatchCronRequest): Promise<CronSchedule> {
    return this.data({ method: "PATCH", path: `/api/v1/cron/${segment(id)}`, body: patch, idempotent: true });
  }

  /** `DELETE /api/v1/cron/{id}` (jobs it already fired stay). */
  deleteCron(id: string): Promise<Deleted> {
    return this.data({ method: "DELETE", path: `/api/v1/cron/${segment(id)}` });
  }

  // ---- Keys and usage (an account key or login token)

  /** `GET /api/v1/keys`, oldest first. */
  listAPIKeys(): Promise<APIKey[]> {
    return this.data({ method: "GET", path: "/api/v1/keys" });
  }

  /** `POST /api/v1/keys`: a key with the account's tier (a `tier` above it is refused with 403); `key` is shown once. */
  createAPIKey(name?: string, tier?: Tier): Promise<CreatedAPIKey> {
    return this.data({ method: "POST", path: "/api/v1/keys", body: { name, tier } });
  }

  /** `DELETE /api/v1/keys/{id}`: it stops working at once. */
  deleteAPIKey(id: string): Promise<Deleted> {
    return this.data({ method: "DELETE", path: `/api/v1/keys/${segment(id)}` });
  }

  /** `GET /api/v1/usage`: this month's jobs of the account against its tier's limit. */
  getUsage(): Promise<Usage> {
    return this.data({ method: "GET", path: "/api/v1/usage" });
  }

  // ---- Accounts (no credentials needed)

  /** `POST /auth/register`: the account, a login token and its first key (shown once). */
  register(credentials: { email: string; password: string }): Promise<RegisterResult> {
    return this.data({ method: "POST", path: "/auth/register", body: credentials });
  }

  /** `POST /auth/login`: a login token and the account's keys. */
  login(credentials: { email: string; password: string }): Promise<LoginResult> {
    return this.data({ method: "POST", path: "/auth/login", body: credentials });
  }

  /** `POST /auth/forgot-password`: the same answer whether or not the account exists. */
  forgotPassword(email: string): Promise<Message> {
    return this.data({ method: "POST", path: "/auth/forgot-password", body: { email } });
  }

  /** `POST /auth/reset-password` with the token of the reset link. */
  resetPassword(request: { token: string; password: string }): Promise<Message> {
    return this.data({ method: "POST", path: "/auth/reset-password", body: request });
  }

  // ---- Portal and billing

  /** `GET /portal/usage` (a login token only): the account's usage, naming its primary key. */
  getPortalUsage(): Promise<Usage> {
    return this.data({ method: "GET", path: "/portal/usage" });
  }

  /** `POST /portal/regenerate-key` (a login token only): the primary key is replaced; the new one is shown once. */
  regenerateKey(): Promise<CreatedAPIKey> {
    return this.data({ method: "POST", path: "/portal/regenerate-key" });
  }

  /** `POST /portal/checkout`: a Stripe Checkout page for a paid tier (503 when billing is not configured). */
  createCheckout(request: CheckoutRequest): Promise<BillingUrl> {
    return this.data({ method: "POST", path: "/portal/checkout", body: request });
  }

  /** `POST /portal/customer-portal`: Stripe's billing portal for the account. */
  createCustomerPortal(): Promise<BillingUrl> {
    return this.data({ method: "POST", path: "/portal/customer-portal" });
  }

  // ---- Health

  /**
   * `GET /health`, not enveloped: `{status, checks, uptime}`. A degraded system (503) is thrown, as the original
   * client did, with the failing checks in the message; it is not retried (the answer is the news).
   */
  async health(): Promise<Health> {
    const answer = await send({ ...this.transport, maxRetries: 0 }, { method: "GET", path: "/health" }, (status) => status === 200 || status === 503);
    const health = answer.body as Health;
    if (answer.status === 503) {
      const failing = Object.entries(health?.checks ?? {}).filter(([, state]) => state !== "ok");
      throw new JobQueueError(`unhealthy: ${health?.status ?? "degraded"} (${failing.map(([name, state]) => `${name}: ${state}`).join(", ")})`, {
        status: 503,
        request: "GET /health",
        requestId: answer.headers.get("X-Request-Id") ?? undefined,
      });
    }
    return health;
  }

  // ---- Plumbing

  private send(call: Call): Promise<Answer> {
    return send(this.transport, call);
  }

  private async data<T>(call: Call): Promise<T> {
    return dataOf<T>(await this.send(call));
  }

  private async page<T>(call: Call): Promise<Page<T>> {
    const answer = await this.send(call);
    const { data, meta } = answer.body as { data: T[]; meta: Omit<Page<T>, "items"> };
    return { items: data, total_count: meta.total_count, limit: meta.limit, offset: meta.offset, has_more: meta.has_more };
  }
}

function filterQuery(filter: JobFilter): Record<string, string | undefined> {
  return {
    status: filter.status,
    type: filter.type,
    queue: filter.queue,
    tags: filter.tags === undefined ? undefined : Object.entries(filter.tags).map(([name, value]) => `${name}:${value}`).join(","),
  };
}

function timeOf(time: Date | string): string {
  return time instanceof Date ? time.toISOString() : time;
}

/** An id in a path: escaped, so an id with a slash or `?` cannot reach another route. */
function segment(id: string): string {
  return encodeURIComponent(id);
}
