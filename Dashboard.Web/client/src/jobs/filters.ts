import { JOB_STATUSES, QUEUES, type JobStatus, type QueueName } from '../api/types';

/** The Jobs page's filters, as the URL's query string holds them (so a filtered view can be reloaded and shared). */
export interface JobFilters {
  status: JobStatus | null;
  type: string;
  queue: QueueName | null;
  /** `k:v,k2:v2`, as GET /api/v1/jobs takes it. */
  tags: string;
}

export const emptyFilters: JobFilters = { status: null, type: '', queue: null, tags: '' };

function oneOf<T extends string>(values: readonly T[], value: string | null): T | null {
  return value !== null && (values as readonly string[]).includes(value) ? (value as T) : null;
}

/** Filters read from a query string; values the API would refuse (an unknown status) are dropped, not sent. */
export function filtersFromSearch(search: URLSearchParams): JobFilters {
  return {
    status: oneOf(JOB_STATUSES, search.get('status')),
    type: (search.get('type') ?? '').trim(),
    queue: oneOf(QUEUES, search.get('queue')),
    tags: normalizeTags(search.get('tags') ?? ''),
  };
}

/** The query string for filters (and a page cursor); empty filters leave no trace in the URL. */
export function searchFromFilters(filters: JobFilters, cursor: string | null = null): URLSearchParams {
  const search = new URLSearchParams();
  if (filters.status !== null) {
    search.set('status', filters.status);
  }
  if (filters.type.trim() !== '') {
    search.set('type', filters.type.trim());
  }
  if (filters.queue !== null) {
    search.set('queue', filters.queue);
  }
  const tags = normalizeTags(filters.tags);
  if (tags !== '') {
    search.set('tags', tags);
  }
  if (cursor !== null && cursor !== '') {
    search.set('cursor', cursor);
  }
  return search;
}

/** `team: a , env:prod` → `team:a,env:prod`; empty pairs are dropped. */
export function normalizeTags(text: string): string {
  return text
    .split(',')
    .map((pair) => pair.split(':').map((part) => part.trim()).join(':'))
    .filter((pair) => pair !== '' && pair !== ':')
    .join(',');
}

/**
 * `k:v, k2:v2` as a tag map, or the reason it is not one (a pair without its colon, a name used twice). The same
 * text is the Jobs filter and the Enqueue dialog's tags, so both read it here.
 */
export function parseTags(text: string): { tags: Record<string, string> } | { error: string } {
  const tags: Record<string, string> = {};
  for (const pair of normalizeTags(text).split(',')) {
    if (pair === '') {
      continue;
    }
    const colon = pair.indexOf(':');
    if (colon <= 0) {
      return { error: `Tag "${pair}" is not name:value` };
    }
    const name = pair.slice(0, colon);
    if (name in tags) {
      return { error: `Tag "${name}" is given twice` };
    }
    tags[name] = pair.slice(colon + 1);
  }
  return { tags };
}

export function hasFilters(filters: JobFilters): boolean {
  return filters.status !== null || filters.type !== '' || filters.queue !== null || filters.tags !== '';
}
