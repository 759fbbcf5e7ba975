// Type-checked only (test/modules.test.mjs): a CommonJS module written in TypeScript gets the CommonJS declarations.
import { JobQueueClient, type Stats } from "@jobqueue/client";

const client = new JobQueueClient("http://127.0.0.1:8080", { apiKey: "k" });
export async function stats(): Promise<Stats> {
  // @ts-expect-error: maxRetries is a number
  new JobQueueClient({ baseUrl: "x", maxRetries: "3" });
  return client.getStats();
}
