import type { Stats } from '../api/types';
import { isJobEvent, JOB_EVENT_STATUS, jobPayload, statsPayload, type LiveFrame } from './frames';

/** One line of the "Live events" feed. */
export interface FeedItem {
  seq: number;
  type: string;
  ts: number;
  jobId: string | null;
  jobType: string | null;
  workerId: string | null;
  error: string | null;
  durationMs: number | null;
}

/** Completed and failed attempts in one wall-clock second (failed counts job.failed and job.dead). */
export interface ThroughputPoint {
  second: number;
  completed: number;
  failed: number;
}

export interface LiveState {
  /** Newest first, at most FEED_LIMIT. */
  feed: FeedItem[];
  nextSeq: number;
  /** Oldest first, one point per second that had any outcome, within THROUGHPUT_WINDOW_SECONDS of the newest. */
  throughput: ThroughputPoint[];
  /** The last stats.update of the stream. */
  stats: Stats | null;
}

/** The feed is for watching, not auditing: 200 lines keep the DOM small when 1,000 events arrive each second. */
export const FEED_LIMIT = 200;
export const THROUGHPUT_WINDOW_SECONDS = 300;

export const initialLiveState: LiveState = { feed: [], nextSeq: 1, throughput: [], stats: null };

function toFeedItem(frame: LiveFrame, seq: number): FeedItem {
  const payload = jobPayload(frame);
  return {
    seq,
    type: frame.type,
    ts: frame.ts,
    jobId: frame.job_id ?? payload.job?.id ?? null,
    jobType: frame.job_type ?? payload.job?.type ?? null,
    workerId: frame.worker_id ?? payload.job?.worker_id ?? null,
    error: payload.error ?? null,
    durationMs: payload.duration_ms ?? null,
  };
}

function addThroughput(points: ThroughputPoint[], frames: readonly LiveFrame[]): ThroughputPoint[] {
  const bySecond = new Map<number, ThroughputPoint>();
  for (const point of points) {
    bySecond.set(point.second, { ...point });
  }
  let changed = false;
  for (const frame of frames) {
    const status = JOB_EVENT_STATUS[frame.type];
    if (status !== 'completed' && status !== 'failed' && status !== 'dead') {
      continue;
    }
    const second = Math.floor(frame.ts / 1000);
    const point = bySecond.get(second) ?? { second, completed: 0, failed: 0 };
    if (status === 'completed') {
      point.completed += 1;
    } else {
      point.failed += 1;
    }
    bySecond.set(second, point);
    changed = true;
  }
  if (!changed) {
    return points;
  }
  const sorted = [...bySecond.values()].sort((a, b) => a.second - b.second);
  const newest = sorted[sorted.length - 1]?.second ?? 0;
  return sorted.filter((p) => p.second > newest - THROUGHPUT_WINDOW_SECONDS);
}

/**
 * Folds a batch of frames (everything that arrived since the last animation frame) into the live state in one step,
 * so React commits once per batch, however many frames it held. Pure: the same input always gives the same state,
 * and an input with nothing for a part of the state returns that part unchanged (same reference, no re-render).
 */
export function applyFrames(state: LiveState, frames: readonly LiveFrame[]): LiveState {
  if (frames.length === 0) {
    return state;
  }
  let stats = state.stats;
  const jobFrames: LiveFrame[] = [];
  for (const frame of frames) {
    const update = statsPayload(frame);
    if (update !== null) {
      stats = update;
    } else if (isJobEvent(frame)) {
      jobFrames.push(frame);
    }
  }
  let feed = state.feed;
  let nextSeq = state.nextSeq;
  if (jobFrames.length > 0) {
    // Only the newest FEED_LIMIT of this batch can survive the cap, so the rest are never turned into items.
    const kept = jobFrames.slice(-FEED_LIMIT);
    const fresh = kept.map((frame, i) => toFeedItem(frame, nextSeq + i)).reverse();
    nextSeq += kept.length;
    feed = fresh.concat(state.feed).slice(0, FEED_LIMIT);
  }
  const throughput = addThroughput(state.throughput, jobFrames);
  if (feed === state.feed && throughput === state.throughput && stats === state.stats) {
    return state;
  }
  return { feed, nextSeq, throughput, stats };
}

/**
 * The throughput as a continuous series ending at `nowSecond`: one point for every second of the window, zeros where
 * nothing ended, so the chart's x axis is time and a quiet minute shows as a flat line rather than a gap.
 */
export function throughputSeries(points: readonly ThroughputPoint[], nowSecond: number, seconds: number): ThroughputPoint[] {
  const bySecond = new Map(points.map((p) => [p.second, p]));
  const series: ThroughputPoint[] = [];
  for (let second = nowSecond - seconds + 1; second <= nowSecond; second++) {
    series.push(bySecond.get(second) ?? { second, completed: 0, failed: 0 });
  }
  return series;
}
