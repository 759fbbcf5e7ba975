import { describe, expect, it } from 'vitest';
import { defaultEnqueueForm, enqueueRequestOf, parseBatch } from './enqueue';

const now = Date.parse('2026-12-04T12:00:00Z');

describe('enqueueRequestOf', () => {
  it('builds the request the API takes, the delay as scheduled_at', () => {
    const parsed = enqueueRequestOf(
      { ...defaultEnqueueForm, type: ' sleep ', payload: '{"ms": 2000}', delaySeconds: '3', maxAttempts: '2', tags: 'team:a' },
      now,
    );
    expect(parsed).toEqual({
      ok: true,
      value: {
        type: 'sleep',
        queue_name: 'default',
        payload: { ms: 2000 },
        priority: 5,
        max_attempts: 2,
        scheduled_at: '2026-12-04T12:00:03.000Z',
        tags: { team: 'a' },
      },
    });
  });

  it('refuses what the API would, before sending it', () => {
    expect(enqueueRequestOf({ ...defaultEnqueueForm, type: '' }, now)).toEqual({ ok: false, error: 'Type is required' });
    expect(enqueueRequestOf({ ...defaultEnqueueForm, type: 'x', priority: '42' }, now)).toEqual({
      ok: false,
      error: 'Priority must be a whole number from 1 to 10',
    });
    expect(enqueueRequestOf({ ...defaultEnqueueForm, type: 'x', payload: '[1]' }, now)).toMatchObject({ ok: false });
    expect(enqueueRequestOf({ ...defaultEnqueueForm, type: 'x', payload: '{oops' }, now)).toMatchObject({ ok: false });
  });
});

describe('parseBatch', () => {
  it('takes a JSON array of requests', () => {
    expect(parseBatch('[{"type":"noop"},{"type":"echo","payload":{"a":1}}]')).toEqual({
      ok: true,
      value: [{ type: 'noop' }, { type: 'echo', payload: { a: 1 } }],
    });
  });

  it('names the item without a type, and refuses non-arrays and empty batches', () => {
    expect(parseBatch('[{"type":"noop"},{"payload":{}}]')).toEqual({ ok: false, error: 'job[1] needs a "type" string' });
    expect(parseBatch('{"type":"noop"}')).toMatchObject({ ok: false });
    expect(parseBatch('[]')).toEqual({ ok: false, error: 'A batch holds 1 to 500 jobs, not 0' });
  });
});
