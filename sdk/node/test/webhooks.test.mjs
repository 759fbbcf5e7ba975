import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";
import { signWebhookBody, verifyWebhookSignature } from "@jobqueue/client";
import { newTenant, rejection, until } from "./helpers.mjs";

/** A receiver on 127.0.0.1 that keeps every delivery's raw body and headers (the dispatcher may deliver to loopback in Development). */
async function startReceiver() {
  const deliveries = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks), url: req.url });
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { deliveries, url: `http://127.0.0.1:${server.address().port}/hooks/jobqueue`, close: () => new Promise((r) => server.close(r)) };
}

describe("webhooks", () => {
  let client;
  let receiver;
  let hook;
  let delivery;
  before(async () => {
    ({ client } = await newTenant("webhooks"));
    receiver = await startReceiver();
  });
  after(() => receiver.close());

  test("create: the generated secret is shown once; list and get never show it", async () => {
    hook = await client.createWebhook({ url: receiver.url, events: ["job.completed"], description: "sdk test" });
    assert.match(hook.secret, /^whsec_/);
    assert.deepEqual(hook.events, ["job.completed"]);
    assert.equal(hook.enabled, true);
    assert.equal(hook.has_secret, true);

    const listed = await client.listWebhooks();
    assert.deepEqual(listed.map((w) => w.id), [hook.id]);
    assert.equal(listed[0].secret, undefined);
    const got = await client.getWebhook(hook.id);
    assert.equal(got.url, receiver.url);
    assert.equal(got.description, "sdk test");
    assert.equal(got.secret, undefined);
  });

  test("a real delivery's signature verifies with the secret, and not when anything changes", async () => {
    const job = await client.enqueue({ type: "echo", payload: { hello: "webhook" } });
    delivery = await until("the job.completed delivery", () =>
      receiver.deliveries.find((d) => d.headers["x-webhook-event"] === "job.completed" && JSON.parse(d.body).job_id === job.id),
    );
    const event = JSON.parse(delivery.body);
    assert.equal(event.event, "job.completed");
    assert.equal(event.job_type, "echo");

    const { headers, body } = delivery;
    assert.equal(verifyWebhookSignature(hook.secret, body, headers), true, "Node's req.headers");
    assert.equal(verifyWebhookSignature(hook.secret, body.toString("utf8"), headers), true, "the body as a string");
    assert.equal(verifyWebhookSignature(hook.secret, body, new Headers(headers)), true, "a Fetch Headers");
    assert.equal(
      verifyWebhookSignature(hook.secret, body, headers["x-webhook-signature-timestamped"], { timestamp: headers["x-webhook-timestamp"] }),
      true,
      "the bare timestamped signature with its timestamp",
    );
    assert.equal(headers["x-webhook-signature"], signWebhookBody(hook.secret, body), "the original's signature is the same computation");

    const tampered = Buffer.from(body.toString("utf8").replace('"echo"', '"ech0"'));
    assert.equal(verifyWebhookSignature(hook.secret, tampered, headers), false, "a changed body");
    assert.equal(verifyWebhookSignature(`${hook.secret}x`, body, headers), false, "another secret");
    assert.equal(verifyWebhookSignature(hook.secret, body, { ...headers, "x-webhook-timestamp": String(Number(headers["x-webhook-timestamp"]) - 1) }), false, "another timestamp");
    assert.equal(verifyWebhookSignature(hook.secret, body, { ...headers, "x-webhook-signature-timestamped": undefined }), false, "no timestamped signature");
    assert.equal(verifyWebhookSignature(hook.secret, body, { ...headers, "x-webhook-signature": "sha256=00" }), false, "a malformed signature");
    assert.throws(() => verifyWebhookSignature(hook.secret, body, headers["x-webhook-signature-timestamped"]), /options.timestamp/);
  });

  test("the tolerance refuses an old (replayed) delivery and accepts one within it", () => {
    const { headers, body } = delivery;
    const signedAt = Number(headers["x-webhook-timestamp"]);
    assert.ok(Math.abs(Date.now() / 1000 - signedAt) < 60, "signed just now");
    assert.equal(verifyWebhookSignature(hook.secret, body, headers, { nowSeconds: signedAt + 301 }), false, "past the default 5 minutes");
    assert.equal(verifyWebhookSignature(hook.secret, body, headers, { nowSeconds: signedAt + 299 }), true);
    assert.equal(verifyWebhookSignature(hook.secret, body, headers, { nowSeconds: signedAt + 20, toleranceSeconds: 10 }), false);
    assert.equal(verifyWebhookSignature(hook.secret, body, headers, { nowSeconds: signedAt - 20, toleranceSeconds: 30 }), true);
  });

  test("the delivery log shows the delivery and its attempt", async () => {
    const page = await until("the delivery in the log", async () => {
      const p = await client.listWebhookDeliveries(hook.id, { limit: 10 });
      return p.items.some((d) => d.id === delivery.headers["x-webhook-id"] && d.delivered) ? p : undefined;
    });
    const logged = page.items.find((d) => d.id === delivery.headers["x-webhook-id"]);
    assert.equal(logged.event, "job.completed");
    assert.equal(logged.status, "succeeded");
    assert.equal(logged.attempt_log[0].status_code, 204);
    assert.equal(page.limit, 10);
    assert.ok(page.total_count >= 1);
  });

  test("a test delivery arrives signed, with the id the API announced", async () => {
    const queued = await client.testWebhook(hook.id);
    assert.equal(queued.event, "webhook.test");
    const arrived = await until("the test delivery", () => receiver.deliveries.find((d) => d.headers["x-webhook-id"] === queued.delivery_id));
    assert.equal(arrived.headers["x-webhook-event"], "webhook.test");
    assert.equal(verifyWebhookSignature(hook.secret, arrived.body, arrived.headers), true);
  });

  test("patch changes fields and rotates the secret", async () => {
    const rotated = "a-brand-new-secret-of-enough-length";
    const patched = await client.patchWebhook(hook.id, { description: "changed", secret: rotated });
    assert.equal(patched.description, "changed");
    const queued = await client.testWebhook(hook.id);
    const arrived = await until("a delivery signed with the new secret", () => receiver.deliveries.find((d) => d.headers["x-webhook-id"] === queued.delivery_id));
    assert.equal(verifyWebhookSignature(rotated, arrived.body, arrived.headers), true);
    assert.equal(verifyWebhookSignature(hook.secret, arrived.body, arrived.headers), false);

    const disabled = await client.patchWebhook(hook.id, { enabled: false });
    assert.equal(disabled.enabled, false);
  });

  test("created without events it subscribes to job.completed, job.failed and job.dead", async () => {
    const plain = await client.createWebhook({ url: receiver.url });
    try {
      assert.deepEqual([...plain.events].sort(), ["job.completed", "job.dead", "job.failed"]);
      assert.deepEqual([...(await client.getWebhook(plain.id)).events].sort(), ["job.completed", "job.dead", "job.failed"]);
    } finally {
      await client.deleteWebhook(plain.id);
    }
  });

  test("bad input is refused with the reason; delete, then 404", async () => {
    const bad = await rejection(client.createWebhook({ url: "ftp://example.com/hook" }));
    assert.equal(bad.status, 422);
    assert.ok(bad.message.length > 0);
    const unknownEvent = await rejection(client.createWebhook({ url: receiver.url, events: ["job.exploded"] }));
    assert.equal(unknownEvent.status, 422);
    assert.match(unknownEvent.message, /job\.exploded/);

    assert.deepEqual(await client.deleteWebhook(hook.id), { id: hook.id, status: "deleted" });
    const gone = await rejection(client.getWebhook(hook.id));
    assert.equal(gone.status, 404);
    assert.deepEqual(await client.listWebhooks(), []);
  });
});
