import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { newTenant, rejection, until } from "./helpers.mjs";

describe("cron", () => {
  let client;
  let schedule;
  before(async () => {
    ({ client } = await newTenant("cron"));
  });

  test("create a schedule with every field; next_run_at is in the future", async () => {
    schedule = await client.createCron({
      name: "nightly-report",
      job_type: "echo",
      cron_expression: "30 2 * * *",
      timezone: "Europe/Paris",
      payload: { report: "daily" },
      queue_name: "bulk",
      priority: 3,
      max_attempts: 3,
      timeout_seconds: 60,
      tags: { team: "ops" },
    });
    assert.equal(schedule.name, "nightly-report");
    assert.equal(schedule.timezone, "Europe/Paris");
    assert.deepEqual(schedule.payload, { report: "daily" });
    assert.equal(schedule.queue_name, "bulk");
    assert.equal(schedule.enabled, true);
    assert.equal(schedule.last_run_at, null);
    assert.ok(Date.parse(schedule.next_run_at) > Date.now());
  });

  test("list and get", async () => {
    assert.deepEqual((await client.listCron()).map((s) => s.id), [schedule.id]);
    assert.equal((await client.getCron(schedule.id)).cron_expression, "30 2 * * *");
  });

  test("patch pauses and changes the expression", async () => {
    const paused = await client.patchCron(schedule.id, { enabled: false, cron_expression: "0 3 * * *", priority: 9 });
    assert.equal(paused.enabled, false);
    assert.equal(paused.cron_expression, "0 3 * * *");
    assert.equal(paused.priority, 9);
  });

  test("a schedule fires jobs tagged with it", async () => {
    const everySecond = await client.createCron({ name: "every-second", job_type: "noop", cron_expression: "* * * * * *" });
    try {
      const fired = await until("the schedule to fire", async () => {
        const jobs = (await client.listJobs({ tags: { cron_id: everySecond.id } })).items;
        return jobs.length > 0 ? jobs : undefined;
      });
      assert.equal(fired[0].tags.cron, "every-second");
      assert.equal(fired[0].type, "noop");
    } finally {
      await client.deleteCron(everySecond.id);
    }
  });

  test("bad input is refused with the parser's reason; a taken name is 409", async () => {
    const bad = await rejection(client.createCron({ name: "bad", job_type: "noop", cron_expression: "61 * * * *" }));
    assert.equal(bad.status, 422);
    assert.match(bad.message, /invalid cron expression '61 \* \* \* \*'/);
    const zone = await rejection(client.createCron({ name: "zone", job_type: "noop", cron_expression: "* * * * *", timezone: "Mars/Olympus" }));
    assert.equal(zone.status, 422);
    const taken = await rejection(client.createCron({ name: "nightly-report", job_type: "noop", cron_expression: "* * * * *" }));
    assert.equal(taken.status, 409);
    const unknown = await rejection(client.patchCron(schedule.id, { colour: "red" }));
    assert.equal(unknown.status, 400);
  });

  test("delete, then 404", async () => {
    assert.deepEqual(await client.deleteCron(schedule.id), { id: schedule.id, status: "deleted" });
    assert.equal((await rejection(client.getCron(schedule.id))).status, 404);
    assert.deepEqual(await client.listCron(), []);
  });
});
