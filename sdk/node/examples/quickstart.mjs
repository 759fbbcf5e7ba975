// JobQueue from Node in one page: enqueue a job for the built-in workers, run a job type of your own on a Worker,
// read results and attempts, walk the cursor, and see an error.
//
//   JOBQUEUE_URL=http://localhost:8080 JOBQUEUE_API_KEY=dev-api-key node examples/quickstart.mjs
//
// Without JOBQUEUE_API_KEY it registers a throw-away account first (the key it prints works from then on).
import { randomUUID } from "node:crypto";
import { JobQueueClient, JobQueueError, NonRetryableError, Worker } from "@jobqueue/client";

const baseUrl = process.env.JOBQUEUE_URL ?? "http://localhost:8080";
let apiKey = process.env.JOBQUEUE_API_KEY;
if (!apiKey) {
  // /auth/* allows 1 request a second per address: the client waits out its 429s.
  const account = await new JobQueueClient({ baseUrl, maxRetries: 30 }).register({
    email: `quickstart-${randomUUID().slice(0, 8)}@example.com`,
    password: "correct horse battery staple",
  });
  apiKey = account.api_key.key;
  console.log(`registered ${account.user.email}, key ${apiKey}`);
}

const client = new JobQueueClient({ baseUrl, apiKey });

async function ended(id) {
  for (;;) {
    const job = await client.getJob(id);
    if (["completed", "dead", "cancelled"].includes(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// A built-in handler: echo's result is its payload.
const echo = await client.enqueue({ type: "echo", payload: { to: "ada@example.com" }, priority: 8, tags: { example: "quickstart" } });
console.log(`echo: ${(await ended(echo.id)).status} ${JSON.stringify(await client.getJobResult(echo.id))}`);

// A job type of your own, run by this process on the lease protocol.
const worker = new Worker(client, { concurrency: 2, waitSeconds: 2 });
worker.register("quickstart.greet", async (job, ctx) => {
  if (!job.payload?.name) throw new NonRetryableError("payload needs a name"); // no retry: straight to the DLQ
  await ctx.heartbeat({ step: "greeting" });
  return { greeting: `Hello, ${job.payload.name}!` };
});
const running = worker.run();
const greeting = await client.enqueue({ type: "quickstart.greet", payload: { name: "Ada" } });
const nameless = await client.enqueue({ type: "quickstart.greet", payload: {} });
console.log(`greet: ${(await ended(greeting.id)).status} ${JSON.stringify(await client.getJobResult(greeting.id))}`);
const dead = await ended(nameless.id);
console.log(`nameless greet: ${dead.status} (${dead.error_message})`);
await worker.stop();
await running;

for (const attempt of await client.getJobAttempts(greeting.id)) {
  console.log(`attempt ${attempt.attempt} on ${attempt.worker_id}: ${attempt.outcome}`);
}

let tagged = 0;
for await (const _job of client.jobs({ tags: { example: "quickstart" }, limit: 50 })) tagged++;
console.log(`${tagged} job(s) tagged example:quickstart`);

try {
  await client.getJob(randomUUID());
} catch (error) {
  if (!(error instanceof JobQueueError)) throw error;
  console.log(`${error.status}: ${error.message}`);
}
