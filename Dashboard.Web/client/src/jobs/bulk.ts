import { ApiError, describeError } from '../api/errors';
import { shortId } from '../components/format';

export interface BulkFailure {
  id: string;
  message: string;
}

export interface BulkResult {
  succeeded: number;
  failures: BulkFailure[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs one request per id, a few at a time, and reports which failed and why. The gateway's per-key bucket allows a
 * burst of 20 (README, Rate limits): a 429 waits its Retry-After and tries again instead of counting as a failure.
 */
export async function runBulk(
  ids: readonly string[],
  action: (id: string) => Promise<unknown>,
  { concurrency = 4, maxRateLimitRetries = 3, wait = sleep } = {},
): Promise<BulkResult> {
  const failures: BulkFailure[] = [];
  let succeeded = 0;
  let next = 0;

  const runOne = async (id: string) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await action(id);
        succeeded += 1;
        return;
      } catch (error) {
        if (error instanceof ApiError && error.status === 429 && attempt < maxRateLimitRetries) {
          await wait((error.retryAfterSeconds ?? 1) * 1000);
          continue;
        }
        failures.push({ id, message: describeError(error) });
        return;
      }
    }
  };

  const lane = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      if (id !== undefined) {
        await runOne(id);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, lane));
  return { succeeded, failures };
}

/** "3 cancelled; 2 failed: abc: job already ended; …" — one line for the page's alert or status. */
export function summarizeBulk(verb: string, result: BulkResult): string {
  const head = `${result.succeeded} ${verb}`;
  if (result.failures.length === 0) {
    return head;
  }
  const details = result.failures.slice(0, 5).map((f) => `${shortId(f.id)}: ${f.message}`).join('; ');
  const more = result.failures.length > 5 ? `; and ${result.failures.length - 5} more` : '';
  return `${head}; ${result.failures.length} failed — ${details}${more}`;
}
