import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, test } from "node:test";
import { jobReaches, newTenant, until } from "./helpers.mjs";

describe("jobs", () => {
  let client;
  before(async () => {
    ({ client } = await newTenant("jobs"));
  });

  test("a fresh tenant's stats are empty", async () => {
    const stats = await client.getStats();
    assert.equal(stats.total_jobs, 0);
    assert.deepEqual(stats.queues.map((q) => q.queue).sort(), ["bulk", "critical", "default"]);
  });

  test("enqueue stores every field, and the echo job's result is the stored JSON itself", async () => {
    const scheduledAt = new Date(Date.now() - 1000);
    const job = await client.enqueue({
      type: "echo",
      payload: { to: "ada@example.com", n: 1 },
      priority: 8,
      max_attempts: 2,
      queue_name: "critical",
      scheduled_at: scheduledAt,
      tags: { team: "sdk" },
      timeout_seconds: 30,
    });
    assert.match(job.id, /^[0-9a-f-]{36}$/);
    assert.equal(job.type, "echo");
    assert.equal(job.priority, 8);
    assert.equal(job.max_attempts, 2);
    assert.equal(job.queue_name, "critical");
    assert.deepEqual(job.tags, { team: "sdk" });
    assert.equal(job.timeout_seconds, 30);

    const done = await jobReaches(client, job.id, "completed");
    assert.equal(done.attempts, 1);
    assert.deepEqual(await client.getJobResult(job.id), { to: "ada@example.com", n: 1 });

    const attempts = await client.getJobAttempts(job.id);
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0].attempt, 1);
    assert.equal(attempts[0].outcome, "completed");
  });

  test("a job without a result yet answers null (204)", async () => {
    const later = await client.enqueue({ type: "noop", scheduled_at: new Date(Date.now() + 3_600_000).toISOString() });
    assert.equal(await client.getJobResult(later.id), null);
    assert.deepEqual(await client.getJobAttempts(later.id), []);
    const cancelled = await client.cancelJob(later.id);
    assert.deepEqual(cancelled, { id: later.id, status: "cancelled" });
    assert.equal((await client.getJob(later.id)).status, "cancelled");
  });

  test("a batch is enqueued in one call, in order", async () => {
    const jobs = await client.enqueueBatch([
      { type: "noop", tags: { batch: "b1" } },
      { type: "sleep", payload: { ms: 10 }, queue_name: "bulk", tags: { batch: "b1" } },
    ]);
    assert.deepEqual(jobs.map((j) => j.type), ["noop", "sleep"]);
    assert.equal(jobs[1].queue_name, "bulk");
  });

  test("listJobs filters by status, type, queue and tags, with the page's meta", async () => {
    const tag = randomUUID();
    const made = await client.enqueueBatch([
      { type: "noop", tags: { run: tag, kind: "a" } },
      { type: "noop", tags: { run: tag, kind: "b" } },
      { type: "echo", tags: { run: tag, kind: "a" }, queue_name: "bulk" },
    ]);
    await Promise.all(made.map((j) => jobReaches(client, j.id, "completed")));

    const byTag = await client.listJobs({ tags: { run: tag }, limit: 2 });
    assert.equal(byTag.total_count, 3);
    assert.equal(byTag.items.length, 2);
    assert.equal(byTag.limit, 2);
    assert.equal(byTag.offset, 0);
    assert.equal(byTag.has_more, true);
    const rest = await client.listJobs({ tags: { run: tag }, limit: 2, offset: 2 });
    assert.equal(rest.items.length, 1);
    assert.equal(rest.has_more, false);

    assert.equal((await client.listJobs({ tags: { run: tag, kind: "a" } })).total_count, 2);
    assert.equal((await client.listJobs({ tags: { run: tag }, type: "echo" })).total_count, 1);
    assert.equal((await client.listJobs({ tags: { run: tag }, queue: "bulk" })).total_count, 1);
    assert.equal((await client.listJobs({ tags: { run: tag }, status: "completed" })).total_count, 3);
    assert.equal((await client.listJobs({ tags: { run: tag }, status: "pending" })).total_count, 0);
  });

  test("the cursor iterator walks every page, newest first, without repeats", async () => {
    const tag = randomUUID();
    const made = await client.enqueueBatch(Array.from({ length: 25 }, (_, i) => ({ type: "noop", tags: { cursor: tag }, payload: { i } })));

    const first = await client.listJobsCursor({ tags: { cursor: tag }, limit: 10 });
    assert.equal(first.items.length, 10);
    assert.equal(first.has_more, true);
    assert.equal(typeof first.next_cursor, "string");

    const seen = [];
    for await (const job of client.jobs({ tags: { cursor: tag }, limit: 10 })) seen.push(job);
    assert.equal(seen.length, 25);
    assert.equal(new Set(seen.map((j) => j.id)).size, 25);
    assert.deepEqual(new Set(seen.map((j) => j.id)), new Set(made.map((j) => j.id)));
    assert.deepEqual(seen.slice(0, 10).map((j) => j.id), first.items.map((j) => j.id));
    const created = seen.map((j) => `${j.created_at}|${j.id}`);
    assert.deepEqual(created, [...created].sort().reverse(), "newest first");

    // The filter holds on every page, and a loop may stop early.
    let count = 0;
    for await (const job of client.jobs({ tags: { cursor: tag }, type: "noop", limit: 10 })) {
      assert.deepEqual(job.tags, { cursor: tag });
      if (++count === 12) break;
    }
    assert.equal(count, 12);
  });

  test("a failing job is dead after its attempts, listed in the DLQ, retried, and requeued once", async () => {
    const job = await client.enqueue({ type: "fail", max_attempts: 1 });
    const dead = await jobReaches(client, job.id, "dead");
    assert.equal(dead.attempts, 1);
    assert.ok(dead.error_message);

    const dlq = await until("the DLQ entry", async () => (await client.listDLQ({ limit: 100 })).items.find((e) => e.job_id === job.id));
    assert.equal(dlq.type, "fail");
    assert.equal(dlq.total_attempts, 1);
    assert.equal(dlq.requeued, false);

    // The original client's positional listDLQ(limit, offset).
    const positional = await client.listDLQ(1, 0);
    assert.equal(positional.limit, 1);
    assert.equal(positional.items.length, 1);

    const requeued = await client.requeueDLQ(dlq.id);
    assert.equal(requeued.dlq_entry_id, dlq.id);
    assert.equal(requeued.new_job.type, "fail");
    assert.equal(requeued.new_job.requeued_from, dlq.id, "the new job names the DLQ entry it came from");
    const again = await client.requeueDLQ(dlq.id).then(
      () => assert.fail("a second requeue must be refused"),
      (e) => e,
    );
    assert.equal(again.status, 409);
    assert.match(again.message, /already been requeued/);

    assert.equal((await client.listDLQ({ include_requeued: false, limit: 100 })).items.some((e) => e.id === dlq.id), false);
    assert.equal((await client.listDLQ({ include_requeued: true, limit: 100 })).items.some((e) => e.id === dlq.id), true);

    const retried = await client.retryJob(job.id);
    assert.equal(retried.id, job.id);
    assert.equal(retried.status, "pending");
  });

  test("a running job asked to cancel answers cancel_requested, and ends cancelled", async () => {
    const job = await client.enqueue({ type: "sleep", payload: { ms: 20_000 } });
    await jobReaches(client, job.id, "running");
    const asked = await client.cancelJob(job.id);
    assert.equal(asked.status, "running");
    assert.equal(asked.cancel_requested, true);
    await jobReaches(client, job.id, "cancelled");

    const ended = await client.cancelJob(job.id).then(
      () => assert.fail("cancelling an ended job must be refused"),
      (e) => e,
    );
    assert.equal(ended.status, 409);
    assert.match(ended.message, /already ended/);
  });

  test("stats count the tenant's jobs; workers are listed", async () => {
    const stats = await client.getStats();
    assert.ok(stats.total_jobs >= 33, `total_jobs ${stats.total_jobs}`);
    assert.ok(stats.completed >= 28, `completed ${stats.completed}`);
    assert.ok(stats.cancelled >= 2, `cancelled ${stats.cancelled}`);
    assert.equal(typeof stats.failed_rate, "number");

    const workers = await client.listWorkers();
    assert.ok(workers.length >= 1, "at least one built-in worker is active");
    for (const w of workers) {
      assert.equal(typeof w.id, "string");
      assert.ok(["active", "stale", "stopped"].includes(w.status), w.status);
      assert.ok(Array.isArray(w.queues));
    }
    const all = await client.listWorkers({ activeOnly: false });
    assert.ok(all.length >= workers.length);
  });

  test("purge deletes the tenant's ended jobs and nothing waiting", async () => {
    const waiting = await client.enqueue({ type: "noop", scheduled_at: new Date(Date.now() + 3_600_000).toISOString() });
    const { total_count: ended } = await client.listJobs({ status: "completed", limit: 1 });
    assert.ok(ended > 0);
    const purged = await client.purgeJobs(new Date(Date.now() + 1000));
    assert.ok(purged.deleted >= ended, `deleted ${purged.deleted}, ${ended} were completed`);
    assert.equal((await client.listJobs({ status: "completed" })).total_count, 0);
    assert.equal((await client.getJob(waiting.id)).status, "pending");
  });
});
