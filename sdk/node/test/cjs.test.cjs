// The CommonJS build: require() resolves the package's "require" condition to dist/cjs, and it works.
const assert = require("node:assert/strict");
const { test } = require("node:test");

test("require('@jobqueue/client') loads the CommonJS build, which calls the API", async () => {
  assert.match(require.resolve("@jobqueue/client"), /dist[\\/]cjs[\\/]index\.js$/);
  const { JobQueueClient, JobQueueError, Worker, verifyWebhookSignature } = require("@jobqueue/client");
  assert.equal(typeof Worker, "function");
  assert.equal(typeof verifyWebhookSignature, "function");

  const client = new JobQueueClient({ baseUrl: process.env.JOBQUEUE_URL ?? "http://127.0.0.1:18080", apiKey: process.env.JOBQUEUE_ADMIN_KEY ?? "dev-admin-key" });
  const stats = await client.getStats();
  assert.equal(typeof stats.total_jobs, "number");
  await assert.rejects(client.getJob("00000000-0000-4000-8000-000000000000"), (error) => error instanceof JobQueueError && error.status === 404);
});
