import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NonRetryableError, Worker } from "@jobqueue/client";
import { freshType, jobReaches, newTenant, until } from "./helpers.mjs";

/** Runs `body` with a started worker, and stops it (waiting for it) whatever happens. */
async function withWorker(client, options, register, body) {
  const worker = new Worker(client, { waitSeconds: 1, leaseSeconds: 6, ...options });
  register(worker);
  const errors = [];
  worker.on("worker.error", (error) => errors.push(error));
  const running = worker.run();
  try {
    await body(worker, errors);
  } finally {
    await worker.stop();
    await running;
  }
}

describe("worker", () => {
  test("runs the handlers of its types: a result completes the job, a NonRetryableError sends it to the DLQ at once", async () => {
    const { client } = await newTenant("worker");
    const greet = freshType("greet");
    const reject = freshType("reject");
    await withWorker(
      client,
      { concurrency: 2 },
      (w) =>
        w
          .register(greet, async (job, ctx) => {
            await ctx.heartbeat({ step: "greeting" });
            return { greeting: `hello ${job.payload.name}`, attempt: ctx.attempt };
          })
          .register(reject, () => {
            throw new NonRetryableError("no such customer");
          }),
      async (worker) => {
        const ok = await client.enqueue({ type: greet, payload: { name: "Ada" } });
        const bad = await client.enqueue({ type: reject, max_attempts: 5 });

        const completed = await jobReaches(client, ok.id, "completed");
        assert.deepEqual(completed.result, { greeting: "hello Ada", attempt: 1 });
        assert.equal(completed.worker_id, worker.workerId);

        const dead = await jobReaches(client, bad.id, "dead");
        assert.equal(dead.attempts, 1, "a NonRetryableError spends no further attempt");
        assert.match(dead.error_message, /no such customer/);

        const workers = await client.listWorkers();
        const me = workers.find((w) => w.id === worker.workerId);
        assert.equal(me?.kind, "remote");
        assert.deepEqual([...me.types].sort(), [greet, reject].sort());
      },
    );
  });

  test("an ordinary error fails the attempt and the server retries it until it succeeds", async () => {
    const { client } = await newTenant("worker-retry");
    const flaky = freshType("flaky");
    await withWorker(
      client,
      {},
      (w) =>
        w.register(flaky, (job, ctx) => {
          if (ctx.attempt < 2) throw new Error("try again");
          return { attempt: ctx.attempt };
        }),
      async () => {
        const job = await client.enqueue({ type: flaky, max_attempts: 3 });
        const done = await jobReaches(client, job.id, "completed");
        assert.equal(done.attempts, 2);
        const attempts = await client.getJobAttempts(job.id);
        assert.deepEqual(attempts.map((a) => a.outcome), ["failed", "completed"]);
      },
    );
  });

  test("a cancel request fires the handler's signal (reason cancelled) and the job ends cancelled", async () => {
    const { client } = await newTenant("worker-cancel");
    const slow = freshType("slow");
    const aborted = [];
    await withWorker(
      client,
      {},
      (w) => {
        w.on("job.aborted", (job, reason) => aborted.push(reason));
        w.register(slow, (job, ctx) => new Promise((resolve, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))));
      },
      async () => {
        const job = await client.enqueue({ type: slow });
        await jobReaches(client, job.id, "running");
        const cancel = await client.cancelJob(job.id);
        assert.equal(cancel.cancel_requested, true);
        await jobReaches(client, job.id, "cancelled");
        assert.deepEqual(aborted, ["cancelled"]);
      },
    );
  });

  test("stop waits for a running handler within its grace, then leaves /api/v1/workers", async () => {
    const { client } = await newTenant("worker-stop");
    const type = freshType("stop");
    const worker = new Worker(client, { waitSeconds: 1, leaseSeconds: 6, shutdownGraceMs: 10_000 });
    let release;
    const started = new Promise((resolve) => {
      worker.register(type, () => {
        resolve();
        return new Promise((done) => (release = done)).then(() => ({ finished: true }));
      });
    });
    const running = worker.run();
    const job = await client.enqueue({ type });
    await started;
    const stopped = worker.stop();
    setTimeout(() => release(), 500);
    await stopped;
    await running;
    const done = await client.getJob(job.id);
    assert.equal(done.status, "completed", "the handler finished within the grace period and its result was reported");
    assert.deepEqual(done.result, { finished: true });
    await until("the worker to leave the active list", async () =>
      !(await client.listWorkers()).some((w) => w.id === worker.workerId));
  });
});
