import assert from "node:assert/strict";
import { createServer } from "node:net";
import { before, describe, test } from "node:test";
import { JobQueueClient, JobQueueError } from "@jobqueue/client";
import { baseUrl, newTenant, rejection } from "./helpers.mjs";

describe("errors", () => {
  let client;
  let key;
  before(async () => {
    const tenant = await newTenant("errors");
    client = tenant.client;
    key = tenant.registration.api_key.key;
  });

  test("an unknown job is a 404 with the API's message and the request id", async () => {
    const id = "00000000-0000-4000-8000-000000000000";
    const error = await rejection(client.getJob(id));
    assert.ok(error instanceof JobQueueError);
    assert.equal(error.name, "JobQueueError");
    assert.equal(error.status, 404);
    assert.equal(error.message, `job ${id} not found`);
    assert.match(error.requestId, /^[0-9a-f]{32}$/);
    assert.equal(error.request, `GET /api/v1/jobs/${id}`);
  });

  test("an id that is not a UUID is a 400 naming it", async () => {
    const error = await rejection(client.getJob("not-a-uuid"));
    assert.equal(error.status, 400);
    assert.match(error.message, /not-a-uuid/);
  });

  test("an unknown field is a 400, a value out of range a 422, and nothing is created", async () => {
    const unknown = await rejection(client.enqueue({ type: "noop", colour: "red" }));
    assert.equal(unknown.status, 400);
    assert.match(unknown.message, /colour/);

    const range = await rejection(client.enqueue({ type: "noop", priority: 42 }));
    assert.equal(range.status, 422);
    assert.equal(range.message, "'priority' must be between 1 and 10, got 42");

    const batch = await rejection(client.enqueueBatch([{ type: "noop" }, { type: "noop", max_attempts: 0 }]));
    assert.equal(batch.status, 422);
    assert.match(batch.message, /^job\[1\]/);

    assert.equal((await client.getStats()).total_jobs, 0);
  });

  test("a wrong key is a 401 in the envelope", async () => {
    const stranger = new JobQueueClient({ baseUrl, apiKey: "qly_00000000000000000000000000000000" });
    const error = await rejection(stranger.getStats());
    assert.equal(error.status, 401);
    assert.ok(error.message.length > 0);
    assert.notEqual(error.message, "HTTP 401", "the API's own message, not a stand-in");
  });

  test("another tenant's job is a 404, as if it did not exist", async () => {
    const job = await client.enqueue({ type: "noop" });
    const { client: other } = await newTenant("errors-other");
    const error = await rejection(other.getJob(job.id));
    assert.equal(error.status, 404);
  });

  test("429: refused requests are retried after Retry-After, so a burst over the limit still succeeds", async () => {
    // The gateway's bucket per API key holds RATE_LIMIT_BURST (20) requests; 60 at once overflow it.
    const eager = new JobQueueClient({ baseUrl, apiKey: key, maxRetries: 0 });
    const outcomes = await Promise.allSettled(Array.from({ length: 60 }, () => eager.getStats()));
    const refused = outcomes.filter((o) => o.status === "rejected").map((o) => o.reason);
    assert.ok(refused.length > 0, "60 requests at once exceed the per-key burst");
    for (const error of refused) {
      assert.equal(error.status, 429);
      assert.ok(error.retryAfter >= 1, `Retry-After ${error.retryAfter}`);
      assert.match(error.message, /rate limit/);
    }

    await new Promise((resolve) => setTimeout(resolve, 1500)); // let the bucket refill
    const patient = new JobQueueClient({ baseUrl, apiKey: key, maxRetries: 5 });
    const results = await Promise.all(Array.from({ length: 60 }, () => patient.getStats()));
    assert.equal(results.length, 60);
  });

  test("no answer: a network error is status 0, retried for idempotent calls, with the cause", async () => {
    const closed = await freePort();
    const offline = new JobQueueClient({ baseUrl: `http://127.0.0.1:${closed}`, maxRetries: 2 });
    const started = Date.now();
    const error = await rejection(offline.getStats());
    assert.ok(error instanceof JobQueueError);
    assert.equal(error.status, 0);
    assert.match(error.message, /ECONNREFUSED/);
    assert.ok(error.cause);
    assert.ok(Date.now() - started >= 250, "two retries with backoff took their time");

    // A POST is not repeated after a network error (it may have been done): it fails at once.
    const once = Date.now();
    const post = await rejection(offline.enqueue({ type: "noop" }));
    assert.equal(post.status, 0);
    assert.ok(Date.now() - once < 250, "no backoff for a non-idempotent call");
  });

  test("a request that takes longer than timeoutMs fails with status 0", async () => {
    // A server that accepts the connection and never answers.
    const silent = createServer(() => {});
    await new Promise((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const slow = new JobQueueClient({ baseUrl: `http://127.0.0.1:${silent.address().port}`, timeoutMs: 200, maxRetries: 0 });
      const error = await rejection(slow.getStats());
      assert.equal(error.status, 0);
      assert.match(error.message, /no answer within 200 ms/);
    } finally {
      silent.close();
    }
  });

  test("options are checked", () => {
    assert.throws(() => new JobQueueClient({ baseUrl, apiKey: "a", token: "b" }), /apiKey or token/);
    assert.throws(() => new JobQueueClient({}), /baseUrl/);
  });
});

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
