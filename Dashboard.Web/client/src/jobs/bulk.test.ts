import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors';
import { runBulk, summarizeBulk } from './bulk';

describe('runBulk', () => {
  it('sends one request per id and reports each failure with the API’s message', async () => {
    const seen: string[] = [];
    const result = await runBulk(['0194a1b2-0000-7000-8000-00000000000a', '0194a1b2-0000-7000-8000-00000000000b', '0194a1b2-0000-7000-8000-00000000000c'], async (id) => {
      seen.push(id);
      if (id.endsWith('b')) {
        throw new ApiError(409, 'job already ended');
      }
    });
    expect(seen.sort()).toEqual(['0194a1b2-0000-7000-8000-00000000000a', '0194a1b2-0000-7000-8000-00000000000b', '0194a1b2-0000-7000-8000-00000000000c']);
    expect(result).toEqual({ succeeded: 2, failures: [{ id: '0194a1b2-0000-7000-8000-00000000000b', message: 'job already ended' }] });
    expect(summarizeBulk('cancelled', result)).toBe('2 cancelled; 1 failed — …0000000b: job already ended');
  });

  it('waits out a 429 for its Retry-After and tries again instead of failing', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await runBulk(
      ['x'],
      async () => {
        calls += 1;
        if (calls === 1) {
          throw new ApiError(429, 'rate limit exceeded', 2);
        }
      },
      { wait: async (ms) => void waits.push(ms) },
    );
    expect(result).toEqual({ succeeded: 1, failures: [] });
    expect(waits).toEqual([2000]);
  });

  it('never runs more than the concurrency at once', async () => {
    let running = 0;
    let peak = 0;
    await runBulk(
      Array.from({ length: 20 }, (_, i) => `id-${i}`),
      async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, 1));
        running -= 1;
      },
      { concurrency: 3 },
    );
    expect(peak).toBe(3);
  });
});
