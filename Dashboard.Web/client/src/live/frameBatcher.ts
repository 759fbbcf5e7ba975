/** When to run a flush: an animation frame in a visible page. */
export interface FlushScheduler {
  request(callback: () => void): number;
  cancel(handle: number): void;
}

/**
 * requestAnimationFrame while the page is visible, so the screen is redrawn at most once per display frame however
 * many WebSocket frames arrive. A hidden tab gets no animation frames at all, so there a timer drains the buffer
 * instead of letting it grow until the tab is shown again.
 */
export const animationFrameScheduler: FlushScheduler = {
  request(callback) {
    if (typeof document !== 'undefined' && document.hidden) {
      return -window.setTimeout(callback, 500);
    }
    return window.requestAnimationFrame(callback);
  },
  cancel(handle) {
    if (handle < 0) {
      window.clearTimeout(-handle);
    } else {
      window.cancelAnimationFrame(handle);
    }
  },
};

export interface FrameBatcher<T> {
  push(item: T): void;
  /** Runs the pending flush now (the tab is being hidden, or the connection is closing). */
  flush(): void;
  /** Drops what is pending and stops: nothing is flushed after this. */
  dispose(): void;
  readonly pending: number;
}

/**
 * Buffers items and hands them to `onFlush` in one batch per scheduled tick: 1,000 frames a second become at most
 * ~60 flushes a second, each one state update and one React commit.
 */
export function createFrameBatcher<T>(
  onFlush: (items: T[]) => void,
  scheduler: FlushScheduler = animationFrameScheduler,
): FrameBatcher<T> {
  let buffer: T[] = [];
  let handle: number | null = null;
  let disposed = false;

  const run = () => {
    handle = null;
    if (buffer.length === 0) {
      return;
    }
    const batch = buffer;
    buffer = [];
    onFlush(batch);
  };

  return {
    push(item) {
      if (disposed) {
        return;
      }
      buffer.push(item);
      handle ??= scheduler.request(run);
    },
    flush() {
      if (handle !== null) {
        scheduler.cancel(handle);
      }
      run();
    },
    dispose() {
      disposed = true;
      if (handle !== null) {
        scheduler.cancel(handle);
        handle = null;
      }
      buffer = [];
    },
    get pending() {
      return buffer.length;
    },
  };
}
