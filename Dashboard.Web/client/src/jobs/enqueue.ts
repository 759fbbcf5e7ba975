import type { EnqueueRequest, QueueName } from '../api/types';
import { parseTags } from './filters';

export interface EnqueueForm {
  type: string;
  queue: QueueName;
  priority: string;
  maxAttempts: string;
  delaySeconds: string;
  payload: string;
  tags: string;
}

export const defaultEnqueueForm: EnqueueForm = {
  type: '',
  queue: 'default',
  priority: '5',
  maxAttempts: '5',
  delaySeconds: '',
  payload: '{}',
  tags: '',
};

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function integer(text: string, name: string, min: number, max: number): Parsed<number | undefined> {
  if (text.trim() === '') {
    return { ok: true, value: undefined };
  }
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    return { ok: false, error: `${name} must be a whole number from ${min} to ${max}` };
  }
  return { ok: true, value };
}

export function parseJsonObject(text: string, name: string): Parsed<Record<string, unknown>> {
  if (text.trim() === '') {
    return { ok: true, value: {} };
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { ok: false, error: `${name} must be a JSON object, like {"key": "value"}` };
    }
    return { ok: true, value: value as Record<string, unknown> };
  } catch (e) {
    return { ok: false, error: `${name} is not valid JSON: ${(e as Error).message}` };
  }
}

/**
 * The dialog's fields as an EnqueueRequest, or the first mistake in them, said before anything is sent. The delay
 * becomes scheduled_at, computed at `now`. The server checks everything again; this only spares a round trip.
 */
export function enqueueRequestOf(form: EnqueueForm, now: number): Parsed<EnqueueRequest> {
  const type = form.type.trim();
  if (type === '') {
    return { ok: false, error: 'Type is required' };
  }
  const priority = integer(form.priority, 'Priority', 1, 10);
  const maxAttempts = integer(form.maxAttempts, 'Max attempts', 1, 100);
  const delay = integer(form.delaySeconds, 'Delay (seconds)', 0, 31_536_000);
  const payload = parseJsonObject(form.payload, 'Payload');
  const tags = parseTags(form.tags);
  for (const parsed of [priority, maxAttempts, delay, payload]) {
    if (!parsed.ok) {
      return parsed;
    }
  }
  if ('error' in tags) {
    return { ok: false, error: tags.error };
  }
  const request: EnqueueRequest = { type, queue_name: form.queue, payload: payload.ok ? payload.value : {} };
  if (priority.ok && priority.value !== undefined) {
    request.priority = priority.value;
  }
  if (maxAttempts.ok && maxAttempts.value !== undefined) {
    request.max_attempts = maxAttempts.value;
  }
  if (delay.ok && delay.value !== undefined && delay.value > 0) {
    request.scheduled_at = new Date(now + delay.value * 1000).toISOString();
  }
  if (Object.keys(tags.tags).length > 0) {
    request.tags = tags.tags;
  }
  return { ok: true, value: request };
}

/** A batch as typed: a JSON array of 1 to 500 requests, each at least with a type. */
export function parseBatch(text: string): Parsed<EnqueueRequest[]> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `The batch is not valid JSON: ${(e as Error).message}` };
  }
  if (!Array.isArray(value)) {
    return { ok: false, error: 'The batch must be a JSON array of jobs, like [{"type": "noop"}]' };
  }
  if (value.length < 1 || value.length > 500) {
    return { ok: false, error: `A batch holds 1 to 500 jobs, not ${value.length}` };
  }
  const index = value.findIndex((item) => typeof item !== 'object' || item === null || typeof (item as { type?: unknown }).type !== 'string');
  if (index >= 0) {
    return { ok: false, error: `job[${index}] needs a "type" string` };
  }
  return { ok: true, value: value as EnqueueRequest[] };
}
