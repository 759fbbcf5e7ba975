// The API's requests and answers, field for field as the JSON has them (snake_case), so what the README and
// openapi.yaml say about a field holds here unchanged. Timestamps are RFC 3339 strings.

/** Any JSON value: a payload, a result, a progress report. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object. */
export type JsonObject = { [key: string]: Json };

export type JobStatus = "pending" | "running" | "completed" | "failed" | "dead" | "cancelled";
export type QueueName = "critical" | "default" | "bulk";
export type Tier = "free" | "pro" | "business";

// ---- Jobs

export interface EnqueueRequest {
  type: string;
  payload?: JsonObject;
  /** 1–10, default 5. */
  priority?: number;
  /** 1–100, default 5. */
  max_attempts?: number;
  queue_name?: QueueName;
  /** RFC 3339 (a Date is sent as its ISO string): run at this time, not before. */
  scheduled_at?: string | Date;
  /** Seconds after it ends that the job is deleted. */
  ttl_seconds?: number;
  /** 1–86,400. */
  timeout_seconds?: number;
  tags?: Record<string, string>;
}

export interface Job {
  id: string;
  type: string;
  payload: JsonObject;
  priority: number;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  queue_name: string;
  scheduled_at: string;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  worker_id: string | null;
  error_message: string | null;
  result: Json;
  api_key_id: string | null;
  expires_at: string | null;
  tags: Record<string, string>;
  timeout_seconds: number | null;
  ttl_seconds: number | null;
  requeued_from: string | null;
  /** The job's tenant: the admin key sees every tenant's jobs. */
  tenant: string;
  trace_id: string | null;
}

export interface JobFilter {
  status?: JobStatus;
  type?: string;
  queue?: string;
  /** Jobs carrying every one of these tags. */
  tags?: Record<string, string>;
}

export interface ListJobsOptions extends JobFilter {
  /** 1–100, default 20. */
  limit?: number;
  offset?: number;
}

export interface CursorOptions extends JobFilter {
  /** The `next_cursor` of the previous page; absent for the first (newest) page. */
  cursor?: string;
  /** Jobs per page, 1–100, default 20. */
  limit?: number;
}

/** An offset page: the items and the list's `meta`. */
export interface Page<T> {
  items: T[];
  total_count: number;
  limit: number;
  offset: number;
  has_more: boolean;
}

export interface JobCursorPage {
  items: Job[];
  next_cursor: string | null;
  has_more: boolean;
  limit: number;
}

export interface JobAttempt {
  attempt: number;
  worker_id: string;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  outcome: "running" | "completed" | "failed" | "dead" | "cancelled" | "lost";
  error: string | null;
}

/** A waiting job is cancelled at once (200); a running one is asked to stop (202, `cancel_requested`). */
export interface CancelResult {
  id: string;
  status: "cancelled" | "running";
  cancel_requested?: boolean;
}

export interface PurgeResult {
  deleted: number;
}

// ---- Dead-letter queue

export interface DLQEntry {
  id: string;
  job_id: string;
  type: string;
  payload: JsonObject;
  priority: number;
  queue_name: string;
  max_attempts: number;
  total_attempts: number;
  last_error: string | null;
  died_at: string;
  original_created_at: string;
  requeued: boolean;
  requeued_at: string | null;
  new_job_id: string | null;
  api_key_id: string | null;
  expires_at: string | null;
  tags: Record<string, string>;
}

export interface ListDLQOptions {
  include_requeued?: boolean;
  limit?: number;
  offset?: number;
}

export interface RequeueResult {
  new_job: Job;
  dlq_entry_id: string;
}

// ---- Stats and workers

export interface QueueStats {
  queue: string;
  depth: number;
  running: number;
}

export interface Stats {
  total_jobs: number;
  pending: number;
  running: number;
  completed: number;
  failed: number;
  dead: number;
  cancelled: number;
  active_workers: number;
  jobs_per_minute: number;
  failed_rate: number;
  queue_depth: number;
  dlq_count: number;
  queues: QueueStats[];
  /** Waiting jobs whose type no live worker serves. */
  unserved?: number;
  unserved_types?: { type: string; waiting: number }[];
}

export interface WorkerInfo {
  id: string;
  /** `built-in` (the system's Worker.Service) or `remote` (a lease-protocol worker such as this SDK's). */
  kind?: "built-in" | "remote";
  /** The job types a remote worker serves. */
  types?: string[];
  host: string;
  pid: number;
  status: "active" | "stopped" | "stale";
  queues: string[];
  concurrency: number;
  running: number;
  jobs_processed: number;
  jobs_failed: number;
  started_at: string;
  last_seen: string;
  /** The caller's jobs it runs now (at most 20). */
  current_jobs: { id: string; type: string }[];
}

// ---- The lease protocol (remote workers)

export interface LeaseRequest {
  /** 1–128 characters of [A-Za-z0-9._:@-]. */
  worker_id: string;
  /** 1–100 job types. */
  types: string[];
  /** Default: all (critical, default, bulk). */
  queues?: string[];
  /** 1–100, default 1. */
  max?: number;
  /** 5–3600, default 30. */
  lease_seconds?: number;
  /** 0–20, default 0: how long to wait for a job when none is ready. */
  wait_seconds?: number;
}

export interface LeasedJob extends Job {
  lease_token: string;
  lease_expires_at: string;
}

export interface HeartbeatRequest {
  lease_token: string;
  progress?: Json;
  lease_seconds?: number;
}

export interface HeartbeatResult {
  lease_expires_at: string;
  cancel_requested: boolean;
}

export interface CompleteRequest {
  lease_token: string;
  result?: Json;
}

export interface FailRequest {
  lease_token: string;
  error: string;
  /** Default true: retried while attempts are left; false: dead at once. */
  retryable?: boolean;
}

// ---- Webhooks

export type WebhookEventName =
  | "job.enqueued"
  | "job.started"
  | "job.completed"
  | "job.failed"
  | "job.dead"
  | "job.cancelled";

export interface Webhook {
  id: string;
  url: string;
  events: WebhookEventName[];
  enabled: boolean;
  created_at: string;
  description: string | null;
  has_secret: boolean;
  consecutive_failures: number;
  disabled_reason: string | null;
  disabled_at: string | null;
  updated_at: string;
  /** Only in the answer to a create without a secret: the generated `whsec_…`, shown this once. */
  secret?: string;
}

export interface CreateWebhookRequest {
  url: string;
  /** Default: job.completed, job.failed and job.dead. */
  events?: WebhookEventName[];
  /** 16–256 characters; generated when absent. */
  secret?: string;
  description?: string;
  enabled?: boolean;
}

export type PatchWebhookRequest = Partial<CreateWebhookRequest>;

export interface WebhookDeliveryAttempt {
  attempt: number;
  started_at: string;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  succeeded: boolean;
}

export interface WebhookDelivery {
  id: string;
  event: string;
  event_id: string;
  job_id: string | null;
  status: "pending" | "delivering" | "succeeded" | "failed";
  delivered: boolean;
  attempts: number;
  next_attempt_at: string | null;
  created_at: string;
  completed_at: string | null;
  attempt_log: WebhookDeliveryAttempt[];
}

export interface WebhookTestResult {
  /** The X-Webhook-Id the test delivery carries. */
  delivery_id: string;
  event: string;
}

export interface Deleted {
  id: string;
  status: "deleted";
}

// ---- Cron

export interface CronSchedule {
  id: string;
  name: string;
  job_type: string;
  cron_expression: string;
  timezone: string;
  payload: JsonObject;
  queue_name: QueueName;
  priority: number;
  max_attempts: number;
  timeout_seconds: number | null;
  tags: Record<string, string>;
  enabled: boolean;
  next_run_at: string;
  last_run_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface CreateCronRequest {
  name: string;
  job_type: string;
  /** 5 fields (minute hour day month weekday), or 6 with seconds first. */
  cron_expression: string;
  /** IANA zone, default UTC. */
  timezone?: string;
  payload?: JsonObject;
  queue_name?: QueueName;
  priority?: number;
  max_attempts?: number;
  timeout_seconds?: number;
  tags?: Record<string, string>;
  enabled?: boolean;
}

export interface PatchCronRequest {
  enabled?: boolean;
  cron_expression?: string;
  payload?: JsonObject;
  queue_name?: QueueName;
  priority?: number;
  timezone?: string;
  name?: string;
  max_attempts?: number;
}

// ---- Accounts, keys, usage

export interface User {
  id: string;
  email: string;
  created_at: string;
}

export interface APIKey {
  id: string;
  name: string;
  key_prefix: string;
  tier: Tier;
  jobs_limit: number;
  enabled: boolean;
  created_at: string;
}

/** A key just made: `key` is shown this once. */
export interface CreatedAPIKey {
  id: string;
  name: string;
  key: string;
  key_prefix: string;
  tier: Tier;
  /** Jobs a month; -1 is unlimited. */
  jobs_limit: number;
  reset_at: string;
  created_at: string;
  warning: string;
}

export interface CreateAPIKeyRequest {
  name?: string;
  /** Accepted when not above the account's tier (the key gets the account's tier either way). */
  tier?: Tier;
}

export interface Usage {
  tier: Tier;
  jobs_used: number;
  /** -1 is unlimited. */
  jobs_limit: number;
  usage_percent: number;
  limit_reached: boolean;
  reset_at: string;
  key_id: string | null;
  key_prefix: string | null;
}

export interface RegisterResult {
  token: string;
  expires_at: string;
  user: User;
  api_key: CreatedAPIKey;
}

export interface LoginResult {
  token: string;
  expires_at: string;
  user: User;
  keys: APIKey[];
}

export interface Message {
  message: string;
}

export interface BillingUrl {
  url: string;
}

export interface CheckoutRequest {
  tier: "pro" | "business";
  key_id?: string;
}

// ---- Health

/** `GET /health`, the original's bare shape: 200 ok, 503 degraded (returned, not thrown). */
export interface Health {
  status: "ok" | "degraded";
  checks: Record<string, string>;
  uptime: string;
}
