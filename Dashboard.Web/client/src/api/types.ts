// The shapes the dashboard reads and sends, named after openapi.yaml's schemas: a field the spec drops or renames
// fails `npm run build` (tsc) instead of showing blank cells.
import type { components, paths } from './schema';

type Schemas = components['schemas'];

export type ApiPath = keyof paths;
export type Job = Schemas['Job'];
export type JobStatus = NonNullable<Job['status']>;
export type JobAttempt = Schemas['JobAttempt'];
export type JobAttemptList = Schemas['JobAttemptList'];
export type JobCursorPage = Schemas['JobCursorPage'];
export type EnqueueRequest = Schemas['EnqueueRequest'];
export type QueueName = NonNullable<EnqueueRequest['queue_name']>;
export type Stats = Schemas['Stats'];
export type QueueStats = Schemas['QueueStats'];
export type Worker = Schemas['Worker'];
export type DlqEntry = Schemas['DLQEntry'];
export type ApiKey = Schemas['ApiKey'];
export type CreatedApiKey = Schemas['CreatedApiKey'];
export type Usage = Schemas['Usage'];
export type Tier = NonNullable<Usage['tier']>;
export type AuthToken = Schemas['AuthToken'];
export type Webhook = Schemas['Webhook'];
export type WebhookRequest = Schemas['WebhookRequest'];
export type WebhookEventName = Schemas['WebhookEventName'];
export type WebhookDelivery = Schemas['WebhookDelivery'];
export type CronSchedule = Schemas['CronSchedule'];
export type CronCreateRequest = Schemas['CronCreateRequest'];
export type CronPatchRequest = Schemas['CronPatchRequest'];
export type BillingUrl = Schemas['BillingUrl'];
export type Message = Schemas['Message'];

/** The envelope's meta: every answer has request_id; offset-paged lists add the paging figures. */
export type Meta = NonNullable<Schemas['ApiResponse']['meta']>;

export const JOB_STATUSES: readonly JobStatus[] = ['pending', 'running', 'completed', 'failed', 'dead', 'cancelled'];
export const QUEUES: readonly QueueName[] = ['critical', 'default', 'bulk'];
export const WEBHOOK_EVENTS: readonly WebhookEventName[] = [
  'job.enqueued',
  'job.started',
  'job.completed',
  'job.failed',
  'job.dead',
  'job.cancelled',
];
