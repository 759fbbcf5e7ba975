import { describe, expect, it } from 'vitest';
import type { Job, JobCursorPage } from '../api/types';
import type { LiveFrame } from './frames';
import { applyChange, isNewer, jobChangeOf, latestChanges, patchPage, RecentChanges, type JobChange } from './jobChanges';

const frame = (type: string, id: string, attempts: number | undefined, status?: Job['status'], ts = 1000): LiveFrame => ({
  type,
  job_id: id,
  ts,
  payload: { job: { id, status, attempts, worker_id: attempts ? 'worker-1' : null } },
});

const change = (event: string, status: NonNullable<Job['status']>, attempts: number | null): JobChange => ({
  id: 'j',
  event,
  status,
  attempts,
  worker_id: null,
  error_message: null,
  ts: 1,
});

describe('jobChangeOf', () => {
  it('reads a job event in the REST API’s field names', () => {
    const failed: LiveFrame = {
      type: 'job.failed',
      job_id: 'j1',
      worker_id: 'worker-1a2b',
      ts: 5,
      payload: { job: { id: 'j1', status: 'failed', attempts: 1, worker_id: 'worker-1a2b', error_message: '503 from upstream' }, error: '503 from upstream' },
    };
    expect(jobChangeOf(failed)).toEqual({
      id: 'j1',
      event: 'job.failed',
      status: 'failed',
      attempts: 1,
      worker_id: 'worker-1a2b',
      error_message: '503 from upstream',
      ts: 5,
    });
  });

  it('takes the status from the event name when the payload has no job', () => {
    expect(jobChangeOf({ type: 'job.started', job_id: 'j2', ts: 1 })?.status).toBe('running');
    expect(jobChangeOf({ type: 'worker.heartbeat', worker_id: 'w', ts: 1 })).toBeNull();
  });
});

describe('isNewer', () => {
  it('moves forward within an attempt and never back', () => {
    expect(isNewer(change('job.started', 'running', 1), { status: 'pending', attempts: 0 })).toBe(true);
    expect(isNewer(change('job.completed', 'completed', 1), { status: 'running', attempts: 1 })).toBe(true);
    // A late REST answer or a duplicate delivery of job.started must not undo the completion.
    expect(isNewer(change('job.started', 'running', 1), { status: 'completed', attempts: 1 })).toBe(false);
    expect(isNewer(change('job.enqueued', 'pending', 0), { status: 'running', attempts: 1 })).toBe(false);
  });

  it('takes a later attempt over an earlier outcome (a retry after failed)', () => {
    expect(isNewer(change('job.started', 'running', 2), { status: 'failed', attempts: 1 })).toBe(true);
    expect(isNewer(change('job.failed', 'failed', 1), { status: 'running', attempts: 2 })).toBe(false);
  });

  it('takes job.enqueued after failed or dead: a manual retry starts over at attempt 0', () => {
    expect(isNewer(change('job.enqueued', 'pending', 0), { status: 'dead', attempts: 3 })).toBe(true);
    expect(isNewer(change('job.enqueued', 'pending', 0), { status: 'completed', attempts: 1 })).toBe(false);
  });
});

describe('latestChanges', () => {
  it('keeps the newest change of each job in a batch, whatever the arrival order', () => {
    const changes = latestChanges([
      frame('job.started', 'a', 1, 'running'),
      frame('job.completed', 'a', 1, 'completed'),
      frame('job.started', 'a', 1, 'running'),
      frame('job.enqueued', 'b', 0, 'pending'),
    ]);
    expect(changes.get('a')?.status).toBe('completed');
    expect(changes.get('b')?.status).toBe('pending');
  });
});

describe('patchPage and RecentChanges', () => {
  const page: JobCursorPage = {
    items: [
      { id: 'a', status: 'pending', attempts: 0, type: 'sleep' },
      { id: 'b', status: 'completed', attempts: 1, type: 'noop' },
    ],
    has_more: false,
    limit: 50,
  };

  it('updates only the rows a change is news for, and keeps the page when none is', () => {
    const patched = patchPage(page, latestChanges([frame('job.started', 'a', 1, 'running', 2000)]));
    expect(patched.items[0]).toMatchObject({ id: 'a', status: 'running', attempts: 1, worker_id: 'worker-1' });
    expect(patched.items[0]?.started_at).toBe(new Date(2000).toISOString());
    expect(patched.items[1]).toBe(page.items[1]);
    expect(patchPage(page, latestChanges([frame('job.started', 'b', 1, 'running')]))).toBe(page);
  });

  it('brings a REST answer that was in flight forward to what the stream said meanwhile', () => {
    const recent = new RecentChanges(10);
    recent.record(latestChanges([frame('job.completed', 'a', 1, 'completed')]));
    expect(recent.overlayPage(page).items[0]?.status).toBe('completed');
    expect(recent.overlayJob({ id: 'a', status: 'running', attempts: 1 }).status).toBe('completed');
  });

  it('forgets the oldest jobs beyond its capacity', () => {
    const recent = new RecentChanges(2);
    for (const id of ['x', 'y', 'z']) {
      recent.record(latestChanges([frame('job.started', id, 1, 'running')]));
    }
    expect(recent.size).toBe(2);
    expect(recent.overlayJob({ id: 'x', status: 'pending', attempts: 0 }).status).toBe('pending');
    expect(recent.overlayJob({ id: 'z', status: 'pending', attempts: 0 }).status).toBe('running');
  });

  it('records the error of a failed attempt and clears nothing else', () => {
    const job: Job = { id: 'a', status: 'running', attempts: 1, worker_id: 'worker-1', error_message: null };
    const failed = applyChange(job, { ...change('job.failed', 'failed', 1), id: 'a', error_message: 'boom' });
    expect(failed).toMatchObject({ status: 'failed', error_message: 'boom', worker_id: 'worker-1' });
  });
});
