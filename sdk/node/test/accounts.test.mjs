import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { JobQueueClient } from "@jobqueue/client";
import { adminClient, baseUrl, newTenant, password, rejection } from "./helpers.mjs";

describe("accounts, keys, usage, portal, health", () => {
  let tenant;
  let byToken;
  before(async () => {
    tenant = await newTenant("accounts");
  });

  test("register answers a login token, the user and a first key shown once", () => {
    const { registration, email } = tenant;
    assert.equal(registration.user.email, email);
    assert.match(registration.api_key.key, /^qly_[0-9a-f]{32}$/);
    assert.equal(registration.api_key.tier, "free");
    assert.equal(registration.api_key.jobs_limit, 1000);
    assert.ok(registration.token.split(".").length === 3, "a JWT");
  });

  test("login answers a token that works as the same tenant; a wrong password is 401", async () => {
    const anonymous = new JobQueueClient({ baseUrl, maxRetries: 20 });
    const login = await anonymous.login({ email: tenant.email, password });
    assert.equal(login.user.id, tenant.registration.user.id);
    assert.deepEqual(login.keys.map((k) => k.id), [tenant.registration.api_key.id]);

    byToken = new JobQueueClient({ baseUrl, token: login.token });
    const job = await tenant.client.enqueue({ type: "noop" });
    assert.equal((await byToken.getJob(job.id)).id, job.id, "the key and the token see the same jobs");

    const wrong = await rejection(anonymous.login({ email: tenant.email, password: "not the password" }));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.message, "invalid email or password");
    const taken = await rejection(anonymous.register({ email: tenant.email, password }));
    assert.equal(taken.status, 409);
  });

  test("keys: create (the original's name, tier), list, use, delete; a deleted key stops working", async () => {
    const created = await tenant.client.createAPIKey("ci", "free");
    assert.equal(created.name, "ci");
    assert.equal(created.tier, "free");
    assert.match(created.key, /^qly_/);
    assert.ok(created.warning);

    const listed = await tenant.client.listAPIKeys();
    assert.deepEqual(listed.map((k) => k.id), [tenant.registration.api_key.id, created.id], "oldest first");
    assert.equal(listed[1].enabled, true);
    assert.equal(listed.find((k) => k.id === created.id).key, undefined, "a listed key never shows the key");

    const second = new JobQueueClient({ baseUrl, apiKey: created.key });
    assert.equal((await second.getUsage()).key_id, created.id);

    const above = await rejection(tenant.client.createAPIKey("big", "business"));
    assert.equal(above.status, 403);
    assert.match(above.message, /free tier/);

    assert.deepEqual(await tenant.client.deleteAPIKey(created.id), { id: created.id, status: "deleted" });
    const refused = await rejection(second.getStats());
    assert.equal(refused.status, 401);
    assert.equal((await rejection(tenant.client.deleteAPIKey(created.id))).status, 404);
  });

  test("usage counts the account's jobs against its tier", async () => {
    const before = await tenant.client.getUsage();
    await tenant.client.enqueueBatch([{ type: "noop" }, { type: "noop" }]);
    const after = await tenant.client.getUsage();
    assert.equal(after.jobs_used, before.jobs_used + 2);
    assert.equal(after.tier, "free");
    assert.equal(after.jobs_limit, 1000);
    assert.equal(after.limit_reached, false);
    assert.ok(Date.parse(after.reset_at) > Date.now());
  });

  test("the portal needs a login token: usage, and regenerating the primary key", async () => {
    const usage = await byToken.getPortalUsage();
    assert.equal(usage.key_id, tenant.registration.api_key.id);
    const byKey = await rejection(tenant.client.getPortalUsage());
    assert.equal(byKey.status, 401);

    const replaced = await byToken.regenerateKey();
    assert.match(replaced.key, /^qly_/);
    assert.notEqual(replaced.key, tenant.registration.api_key.key);
    assert.equal((await rejection(tenant.client.getStats())).status, 401, "the old primary key stopped working");
    tenant.client = new JobQueueClient({ baseUrl, apiKey: replaced.key });
    assert.equal(typeof (await tenant.client.getStats()).total_jobs, "number");
  });

  test("billing without Stripe configured is a 503 with the reason; keys need an account", async () => {
    const checkout = await rejection(byToken.createCheckout({ tier: "pro" }));
    assert.ok([503, 502].includes(checkout.status), `status ${checkout.status}`);
    assert.match(checkout.message, /billing is not configured|Stripe/);
    const portal = await rejection(byToken.createCustomerPortal());
    assert.ok([400, 503].includes(portal.status), `status ${portal.status}`);

    const operator = await rejection(adminClient().listAPIKeys());
    assert.equal(operator.status, 403);
    assert.match(operator.message, /needs an account/);
  });

  test("forgot-password answers the same whether or not the account exists; a bad reset token is 400", async () => {
    const anonymous = new JobQueueClient({ baseUrl, maxRetries: 20 });
    const known = await anonymous.forgotPassword(tenant.email);
    const unknown = await anonymous.forgotPassword(`nobody-${Date.now()}@example.com`);
    assert.equal(known.message, unknown.message);
    const reset = await rejection(anonymous.resetPassword({ token: "not-a-token", password: "another password" }));
    assert.equal(reset.status, 400);
  });

  test("health is the bare {status, checks, uptime}", async () => {
    const health = await new JobQueueClient({ baseUrl }).health();
    assert.equal(health.status, "ok");
    assert.equal(health.checks.postgres, "ok");
    assert.equal(health.checks.redis, "ok");
    assert.equal(typeof health.uptime, "string");
  });
});
