import type { QueryClient } from '@tanstack/react-query';
import { keys, type JobListKey } from '../api/queries';
import type { Job, JobCursorPage, Stats, Worker } from '../api/types';
import { heartbeatPayload, statsPayload, type LiveFrame } from './frames';
import { applyChange, patchPage, type JobChange } from './jobChanges';

const TERMINAL = new Set(['completed', 'dead', 'cancelled', 'failed']);

/**
 * The lists a job event can change the membership of: a first page (a new job belongs at its top) and a list filtered
 * by status (a job moving to another status leaves it). Later pages and unfiltered rows are patched in place instead.
 */
export function listMembershipCanChange(key: readonly unknown[]): boolean {
  const filters = key[2] as JobListKey[2] | undefined;
  return filters !== undefined && (filters.cursor === null || filters.status !== null);
}

export interface RefetchThrottles {
  lists: { request(): void };
  dlq: { request(): void };
}

/**
 * Brings the TanStack Query cache up to date with one batch of frames, so every page showing a job, the stats or a
 * worker changes without a request: rows are patched in place, stats replaced, heartbeats written onto their worker.
 * What an event cannot tell (a new job's full row, a DLQ entry, an attempt's duration) is refetched, throttled.
 */
export function patchQueryCache(
  client: QueryClient,
  frames: readonly LiveFrame[],
  changes: ReadonlyMap<string, JobChange>,
  throttles: RefetchThrottles,
): void {
  if (changes.size > 0) {
    client.setQueriesData<JobCursorPage>({ queryKey: keys.jobLists }, (page) => (page === undefined ? page : patchPage(page, changes)));
    for (const change of changes.values()) {
      const key = keys.job(change.id);
      const held = client.getQueryData<Job>(key);
      if (held === undefined) {
        continue;
      }
      const next = applyChange(held, change);
      if (next !== held) {
        client.setQueryData<Job>(key, next);
        // The attempt's row (its duration, its error) and, once it ended, the result and timestamps come from REST.
        void client.invalidateQueries({ queryKey: keys.attempts(change.id), exact: true });
        if (TERMINAL.has(change.status)) {
          void client.invalidateQueries({ queryKey: key, exact: true });
        }
      }
    }
    throttles.lists.request();
    if ([...changes.values()].some((c) => c.status === 'dead' || c.event === 'job.enqueued')) {
      throttles.dlq.request();
    }
  }

  let stats: Stats | null = null;
  const heartbeats = new Map<string, LiveFrame>();
  for (const frame of frames) {
    stats = statsPayload(frame) ?? stats;
    if (frame.type === 'worker.heartbeat' && frame.worker_id !== undefined) {
      heartbeats.set(frame.worker_id, frame);
    }
  }
  if (stats !== null) {
    const update = stats;
    // A stats.update frame may lack the per-queue figures of GET /api/v1/stats: keep the last ones rather than blank them.
    client.setQueryData<Stats>(keys.stats, (held) => ({ ...held, ...update, queues: update.queues ?? held?.queues }));
  }
  if (heartbeats.size > 0) {
    client.setQueriesData<Worker[]>({ queryKey: ['workers'] }, (workers) =>
      workers?.map((worker) => {
        const frame = worker.id === undefined ? undefined : heartbeats.get(worker.id);
        if (frame === undefined) {
          return worker;
        }
        const beat = heartbeatPayload(frame);
        return {
          ...worker,
          status: beat.status === 'active' || beat.status === 'stopped' ? beat.status : worker.status,
          running: beat.running ?? worker.running,
          concurrency: beat.concurrency ?? worker.concurrency,
          jobs_processed: beat.jobs_processed ?? worker.jobs_processed,
          last_seen: new Date(frame.ts).toISOString(),
        };
      }),
    );
  }
}
