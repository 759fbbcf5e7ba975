export { JobQueueClient, type JobQueueClientOptions, type CallOptions } from "./client.js";
export { JobQueueError, NonRetryableError } from "./errors.js";
export { Worker, type WorkerOptions, type JobHandler, type JobContext, type AbortReason } from "./worker.js";
export { verifyWebhookSignature, signWebhookBody, WebhookHeaders, type VerifyOptions, type WebhookRequestHeaders } from "./webhooks.js";
export type * from "./models.js";
export { JobQueueClient as default } from "./client.js";
