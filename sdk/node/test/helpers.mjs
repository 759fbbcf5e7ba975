// What every test file shares: the system under test (JOBQUEUE_URL, JOBQUEUE_ADMIN_KEY) and a tenant of its own,
// registered through the SDK, so no file sees another's (or another helper's) jobs.
import { randomUUID } from "node:crypto";
import { JobQueueClient } from "@jobqueue/client";

export const baseUrl = process.env.JOBQUEUE_URL ?? "http://127.0.0.1:18080";
export const adminKey = process.env.JOBQUEUE_ADMIN_KEY ?? "dev-admin-key";

/** /auth/* is rate-limited per address (1/s, burst 5) and shared with every other test run on this machine. */
const patient = { maxRetries: 20 };

export const password = "correct horse battery staple";

export function uniqueEmail(label) {
  return `node-sdk-${label}-${randomUUID()}@example.com`;
}

/** Registers a fresh account: its client (by its first key), the registration answer and the credentials. */
export async function newTenant(label) {
  const email = uniqueEmail(label);
  const registration = await new JobQueueClient({ baseUrl, ...patient }).register({ email, password });
  const client = new JobQueueClient({ baseUrl, apiKey: registration.api_key.key });
  return { client, registration, email };
}

export function adminClient() {
  return new JobQueueClient({ baseUrl, apiKey: adminKey });
}

/** Polls `probe` until it returns something truthy; fails with `what` after `timeoutMs`. */
export async function until(what, probe, { timeoutMs = 30_000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits until the job has one of the statuses; returns it. */
export function jobReaches(client, id, ...statuses) {
  return until(`job ${id} to be ${statuses.join(" or ")}`, async () => {
    const job = await client.getJob(id);
    return statuses.includes(job.status) ? job : undefined;
  });
}

/** The error a promise rejects with (fails when it resolves). */
export async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail, and it succeeded");
}

/** A job type no built-in worker serves, unique to this run: only a test's own Worker leases it. */
export function freshType(label) {
  return `node-sdk.${label}.${randomUUID().slice(0, 8)}`;
}
