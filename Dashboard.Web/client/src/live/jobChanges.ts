import type { Job, JobCursorPage, JobStatus } from '../api/types';
import { JOB_EVENT_STATUS, jobPayload, type LiveFrame } from './frames';

/** What one job event says about its job, in the REST API's field names so it can be laid over a fetched Job. */
export interface JobChange {
  id: string;
  event: string;
  status: JobStatus;
  attempts: number | null;
  worker_id: string | null;
  error_message: string | null;
  ts: number;
}

export function jobChangeOf(frame: LiveFrame): JobChange | null {
  const status = JOB_EVENT_STATUS[frame.type];
  const payload = jobPayload(frame);
  const id = frame.job_id ?? payload.job?.id;
  if (status === undefined || id === undefined) {
    return null;
  }
  return {
    id,
    event: frame.type,
    status: payload.job?.status ?? status,
    attempts: payload.job?.attempts ?? null,
    worker_id: payload.job?.worker_id ?? frame.worker_id ?? null,
    error_message: payload.job?.error_message ?? payload.error ?? null,
    ts: frame.ts,
  };
}

/** Within one attempt a job only moves forward: waiting, then running, then an outcome. */
const PHASE: Readonly<Record<JobStatus, number>> = {
  pending: 0,
  running: 1,
  completed: 2,
  failed: 2,
  dead: 2,
  cancelled: 2,
};

/**
 * Whether a change is news for a job as we hold it. Delivery is at least once and a REST answer may be older or newer
 * than an event, so arrival order decides nothing (README, Lifecycle events): a later attempt is newer; within the same
 * attempt the later phase wins; and a job.enqueued after failed or dead is a manual retry or requeue, which starts the
 * job over with its attempts reset to 0.
 */
export function isNewer(change: JobChange, job: Pick<Job, 'status' | 'attempts'>): boolean {
  const held = job.status;
  if (held === undefined) {
    return true;
  }
  if (change.event === 'job.enqueued' && (held === 'failed' || held === 'dead')) {
    return true;
  }
  const heldAttempts = job.attempts ?? 0;
  if (change.attempts === null || change.attempts === heldAttempts) {
    return PHASE[change.status] > PHASE[held];
  }
  return change.attempts > heldAttempts;
}

export function applyChange(job: Job, change: JobChange): Job {
  if (!isNewer(change, job)) {
    return job;
  }
  const next: Job = { ...job, status: change.status };
  if (change.attempts !== null) {
    next.attempts = change.attempts;
  }
  if (change.worker_id !== null) {
    next.worker_id = change.worker_id;
  }
  if (change.status === 'failed' || change.status === 'dead') {
    next.error_message = change.error_message;
  }
  if (change.status === 'running' && job.started_at == null) {
    next.started_at = new Date(change.ts).toISOString();
  }
  return next;
}

/** The last change of each job in a batch of frames (a batch can hold a job's whole life). */
export function latestChanges(frames: readonly LiveFrame[]): Map<string, JobChange> {
  const changes = new Map<string, JobChange>();
  for (const frame of frames) {
    const change = jobChangeOf(frame);
    if (change === null) {
      continue;
    }
    const earlier = changes.get(change.id);
    if (earlier === undefined || isNewer(change, { status: earlier.status, attempts: earlier.attempts ?? 0 })) {
      changes.set(change.id, change);
    }
  }
  return changes;
}

/** A page with every row the changes concern brought up to date; the same page object when none is. */
export function patchPage(page: JobCursorPage, changes: ReadonlyMap<string, JobChange>): JobCursorPage {
  let changed = false;
  const items = page.items.map((job) => {
    const change = job.id === undefined ? undefined : changes.get(job.id);
    const next = change === undefined ? job : applyChange(job, change);
    changed ||= next !== job;
    return next;
  });
  return changed ? { ...page, items } : page;
}

/**
 * The most recent change of recently seen jobs, so a REST answer that was on its way while events arrived is brought
 * forward before it reaches the cache instead of rolling a row back (pending after running). Bounded: the oldest
 * entries go first.
 */
export class RecentChanges {
  private readonly changes = new Map<string, JobChange>();

  constructor(private readonly capacity = 5000) {}

  record(batch: ReadonlyMap<string, JobChange>): void {
    for (const [id, change] of batch) {
      this.changes.delete(id);
      this.changes.set(id, change);
    }
    while (this.changes.size > this.capacity) {
      const oldest = this.changes.keys().next().value;
      if (oldest === undefined) {
        break;
      }
      this.changes.delete(oldest);
    }
  }

  get size(): number {
    return this.changes.size;
  }

  overlayJob(job: Job): Job {
    const change = job.id === undefined ? undefined : this.changes.get(job.id);
    return change === undefined ? job : applyChange(job, change);
  }

  overlayPage(page: JobCursorPage): JobCursorPage {
    return patchPage(page, this.changes);
  }

  clear(): void {
    this.changes.clear();
  }
}

export const recentChanges = new RecentChanges();
