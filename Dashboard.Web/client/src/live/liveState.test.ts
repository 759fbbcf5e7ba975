import { describe, expect, it } from 'vitest';
import type { LiveFrame } from './frames';
import { applyFrames, FEED_LIMIT, initialLiveState, throughputSeries } from './liveState';

const event = (type: string, id: string, ts: number, extra: Partial<LiveFrame> = {}): LiveFrame => ({
  type,
  job_id: id,
  job_type: 'echo',
  ts,
  ...extra,
});

describe('applyFrames', () => {
  it('puts job events in the feed, newest first, numbered in arrival order', () => {
    const state = applyFrames(initialLiveState, [event('job.enqueued', 'a', 1000), event('job.started', 'a', 1001)]);
    expect(state.feed.map((f) => [f.seq, f.type])).toEqual([
      [2, 'job.started'],
      [1, 'job.enqueued'],
    ]);
    const next = applyFrames(state, [event('job.completed', 'a', 1002, { payload: { duration_ms: 1.5 } })]);
    expect(next.feed[0]).toMatchObject({ seq: 3, type: 'job.completed', jobId: 'a', durationMs: 1.5 });
  });

  it('caps the feed, keeping the newest events', () => {
    const frames = Array.from({ length: FEED_LIMIT + 50 }, (_, i) => event('job.completed', `j${i}`, 1000 + i));
    const state = applyFrames(applyFrames(initialLiveState, frames.slice(0, 100)), frames.slice(100));
    expect(state.feed).toHaveLength(FEED_LIMIT);
    expect(state.feed[0]?.jobId).toBe(`j${FEED_LIMIT + 49}`);
    expect(state.feed.at(-1)?.jobId).toBe('j50');
  });

  it('counts completed and failed attempts per second (dead is a failed last attempt)', () => {
    const state = applyFrames(initialLiveState, [
      event('job.completed', 'a', 5_000),
      event('job.completed', 'b', 5_900),
      event('job.failed', 'c', 5_950),
      event('job.dead', 'd', 6_100),
      event('job.started', 'e', 6_200),
    ]);
    expect(state.throughput).toEqual([
      { second: 5, completed: 2, failed: 1 },
      { second: 6, completed: 0, failed: 1 },
    ]);
  });

  it('keeps the last stats.update and leaves heartbeats out of the feed', () => {
    const state = applyFrames(initialLiveState, [
      { type: 'stats.update', payload: { pending: 1, completed: 2 }, ts: 1 },
      { type: 'worker.heartbeat', worker_id: 'w1', payload: { status: 'active' }, ts: 2 },
      { type: 'stats.update', payload: { pending: 0, completed: 3 }, ts: 3 },
    ]);
    expect(state.stats).toEqual({ pending: 0, completed: 3 });
    expect(state.feed).toEqual([]);
  });

  it('returns the same state when a batch changes nothing, so nothing re-renders', () => {
    const state = applyFrames(initialLiveState, [event('job.enqueued', 'a', 1000)]);
    expect(applyFrames(state, [])).toBe(state);
    expect(applyFrames(state, [{ type: 'worker.heartbeat', worker_id: 'w', ts: 5 }])).toBe(state);
  });

  it('keeps the unchanged parts of the state by reference', () => {
    const state = applyFrames(initialLiveState, [event('job.completed', 'a', 1000)]);
    const next = applyFrames(state, [{ type: 'stats.update', payload: { pending: 4 }, ts: 2000 }]);
    expect(next.feed).toBe(state.feed);
    expect(next.throughput).toBe(state.throughput);
  });
});

describe('throughputSeries', () => {
  it('fills every second of the window, zeros where nothing ended', () => {
    const series = throughputSeries([{ second: 98, completed: 4, failed: 1 }], 100, 4);
    expect(series).toEqual([
      { second: 97, completed: 0, failed: 0 },
      { second: 98, completed: 4, failed: 1 },
      { second: 99, completed: 0, failed: 0 },
      { second: 100, completed: 0, failed: 0 },
    ]);
  });
});
