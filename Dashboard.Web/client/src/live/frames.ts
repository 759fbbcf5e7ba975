import type { JobStatus, Stats } from '../api/types';

/** One /ws text frame (README, Live events): `{type, job_id?, job_type?, worker_id?, payload?, ts}`. */
export interface LiveFrame {
  type: string;
  job_id?: string;
  job_type?: string;
  worker_id?: string;
  payload?: unknown;
  ts: number;
}

/** The job as a job event's payload carries it (never its payload, result or tenant). */
export interface EventJob {
  id: string;
  type?: string;
  queue_name?: string;
  priority?: number;
  status?: JobStatus;
  attempts?: number;
  max_attempts?: number;
  worker_id?: string | null;
  error_message?: string | null;
}

export interface JobEventPayload {
  job?: EventJob;
  error?: string | null;
  retry_at?: number | null;
  duration_ms?: number | null;
  wait_ms?: number | null;
}

export interface HeartbeatPayload {
  status?: string;
  running?: number;
  concurrency?: number;
  queues?: string[];
  jobs_processed?: number;
}

export const JOB_EVENT_STATUS: Readonly<Record<string, JobStatus>> = {
  'job.enqueued': 'pending',
  'job.started': 'running',
  'job.completed': 'completed',
  'job.failed': 'failed',
  'job.dead': 'dead',
  'job.cancelled': 'cancelled',
};

export function isJobEvent(frame: LiveFrame): boolean {
  return frame.type in JOB_EVENT_STATUS;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A frame's text as a LiveFrame, or null for anything that is not one (the stream is not ours to trust blindly). */
export function parseFrame(text: string): LiveFrame | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value) || typeof value.type !== 'string') {
    return null;
  }
  return {
    type: value.type,
    job_id: typeof value.job_id === 'string' ? value.job_id : undefined,
    job_type: typeof value.job_type === 'string' ? value.job_type : undefined,
    worker_id: typeof value.worker_id === 'string' ? value.worker_id : undefined,
    payload: value.payload,
    ts: typeof value.ts === 'number' ? value.ts : Date.now(),
  };
}

export function jobPayload(frame: LiveFrame): JobEventPayload {
  return isObject(frame.payload) ? (frame.payload as JobEventPayload) : {};
}

export function heartbeatPayload(frame: LiveFrame): HeartbeatPayload {
  return isObject(frame.payload) ? (frame.payload as HeartbeatPayload) : {};
}

export function statsPayload(frame: LiveFrame): Stats | null {
  return frame.type === 'stats.update' && isObject(frame.payload) ? (frame.payload as Stats) : null;
}
