import { afterEach, describe, expect, it, vi } from 'vitest';
import { animationFrameScheduler, createFrameBatcher, type FlushScheduler } from './frameBatcher';

/** A scheduler whose ticks the test runs by hand. */
function manualScheduler() {
  let pending: Array<{ handle: number; callback: () => void }> = [];
  let nextHandle = 1;
  const scheduler: FlushScheduler = {
    request(callback) {
      const handle = nextHandle++;
      pending.push({ handle, callback });
      return handle;
    },
    cancel(handle) {
      pending = pending.filter((p) => p.handle !== handle);
    },
  };
  const tick = () => {
    const due = pending;
    pending = [];
    due.forEach((p) => p.callback());
  };
  return { scheduler, tick, requested: () => pending.length };
}

describe('createFrameBatcher', () => {
  it('hands every item of a tick to one flush, in arrival order, and asks for one tick only', () => {
    const flushes: number[][] = [];
    const manual = manualScheduler();
    const batcher = createFrameBatcher<number>((items) => flushes.push(items), manual.scheduler);
    for (let i = 0; i < 1000; i++) {
      batcher.push(i);
    }
    expect(manual.requested()).toBe(1);
    expect(flushes).toEqual([]);
    manual.tick();
    expect(flushes).toHaveLength(1);
    expect(flushes[0]).toHaveLength(1000);
    expect(flushes[0]?.slice(0, 3)).toEqual([0, 1, 2]);
    expect(batcher.pending).toBe(0);
  });

  it('schedules again only when new items arrive', () => {
    const flushes: string[][] = [];
    const manual = manualScheduler();
    const batcher = createFrameBatcher<string>((items) => flushes.push(items), manual.scheduler);
    batcher.push('a');
    manual.tick();
    manual.tick();
    expect(flushes).toEqual([['a']]);
    batcher.push('b');
    manual.tick();
    expect(flushes).toEqual([['a'], ['b']]);
  });

  it('flushes at once on demand and drops everything after dispose', () => {
    const flushes: string[][] = [];
    const manual = manualScheduler();
    const batcher = createFrameBatcher<string>((items) => flushes.push(items), manual.scheduler);
    batcher.push('now');
    batcher.flush();
    expect(flushes).toEqual([['now']]);
    expect(manual.requested()).toBe(0);
    batcher.push('late');
    batcher.dispose();
    batcher.push('later');
    manual.tick();
    expect(flushes).toEqual([['now']]);
  });
});

describe('animationFrameScheduler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('turns a stream of 1,000 frames a second into one flush per animation frame (~60 a second)', () => {
    vi.useFakeTimers({ toFake: ['requestAnimationFrame', 'cancelAnimationFrame', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    let flushes = 0;
    let items = 0;
    const batcher = createFrameBatcher<number>((batch) => {
      flushes += 1;
      items += batch.length;
    }, animationFrameScheduler);
    // One frame every millisecond for one second, the animation frames running at the display's ~16 ms.
    const producer = setInterval(() => batcher.push(1), 1);
    vi.advanceTimersByTime(1000);
    clearInterval(producer);
    vi.advanceTimersToNextFrame();
    expect(items).toBe(1000);
    expect(flushes).toBeGreaterThanOrEqual(55);
    expect(flushes).toBeLessThanOrEqual(65);
  });
});
