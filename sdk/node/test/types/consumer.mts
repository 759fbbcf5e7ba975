// Type-checked only (test/modules.test.mjs): how an ES module written in TypeScript uses the package.
import { JobQueueClient, JobQueueError, NonRetryableError, Worker, verifyWebhookSignature, type Job, type LeasedJob } from "@jobqueue/client";

const client = new JobQueueClient({ baseUrl: "http://127.0.0.1:8080", apiKey: "k" });
export async function use(): Promise<string> {
  const job: Job = await client.enqueue({ type: "email.send", payload: { to: "ada@example.com" }, priority: 8 });
  for await (const j of client.jobs({ status: "pending", tags: { team: "a" } })) j.status satisfies Job["status"];
  const result = await client.getJobResult(job.id);
  const worker = new Worker(client, { concurrency: 2 });
  worker.register("email.send", async (leased: LeasedJob, ctx) => {
    ctx.signal.throwIfAborted();
    await ctx.heartbeat({ step: 1 });
    if (leased.attempts > 3) throw new NonRetryableError("give up");
    return { sent: true, attempt: ctx.attempt };
  });
  const ok: boolean = verifyWebhookSignature("secret", "{}", { "x-webhook-signature": "sha256=00" }, { toleranceSeconds: 60 });
  try {
    await client.getJob("x");
  } catch (e) {
    if (e instanceof JobQueueError) return `${e.status} ${e.message} ${e.requestId ?? ""} ${e.retryAfter ?? ""}`;
  }
  // @ts-expect-error: a job needs its type
  await client.enqueue({ payload: {} });
  // @ts-expect-error: not a status
  client.listJobs({ status: "sleeping" });
  return `${ok} ${JSON.stringify(result)}`;
}
