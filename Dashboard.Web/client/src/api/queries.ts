import { recentChanges } from '../live/jobChanges';
import type { JobFilters } from '../jobs/filters';
import { apiData } from './client';
import type { Job, JobAttemptList, JobCursorPage, Stats } from './types';

/**
 * Query keys in one place: the live stream patches exactly these (['jobs', 'list', …] pages, ['job', id]), so a key
 * spelled differently on a page would silently stop updating live.
 */
export const keys = {
  stats: ['stats'] as const,
  jobLists: ['jobs', 'list'] as const,
  jobList: (filters: JobFilters, cursor: string | null, limit: number) => ['jobs', 'list', { ...filters, cursor, limit }] as const,
  job: (id: string) => ['job', id] as const,
  attempts: (id: string) => ['job', id, 'attempts'] as const,
  dlq: (includeRequeued: boolean, offset: number) => ['dlq', { includeRequeued, offset }] as const,
  workers: (activeOnly: boolean) => ['workers', { activeOnly }] as const,
  cron: ['cron'] as const,
  webhooks: ['webhooks'] as const,
  deliveries: (id: string) => ['webhooks', id, 'deliveries'] as const,
  apiKeys: ['keys'] as const,
  usage: ['usage'] as const,
  config: ['config'] as const,
};

export type JobListKey = ReturnType<typeof keys.jobList>;

export const fetchStats = (signal?: AbortSignal) => apiData<Stats>({ path: '/api/v1/stats', signal });

/** One keyset page, with what the live stream said meanwhile laid over it (see RecentChanges). */
export async function fetchJobPage(filters: JobFilters, cursor: string | null, limit: number, signal?: AbortSignal): Promise<JobCursorPage> {
  const page = await apiData<JobCursorPage>({
    path: '/api/v1/jobs/cursor',
    query: { status: filters.status, type: filters.type, queue: filters.queue, tags: filters.tags, cursor, limit },
    signal,
  });
  return recentChanges.overlayPage(page);
}

export async function fetchJob(id: string, signal?: AbortSignal): Promise<Job> {
  return recentChanges.overlayJob(await apiData<Job>({ path: '/api/v1/jobs/{id}', params: { id }, signal }));
}

export const fetchAttempts = (id: string, signal?: AbortSignal) =>
  apiData<JobAttemptList>({ path: '/api/v1/jobs/{id}/attempts', params: { id }, signal });
