import type { ConnectionStatus } from './connection';
import { applyFrames, initialLiveState, type LiveState } from './liveState';
import type { LiveFrame } from './frames';

/** The counters ScaleTests reads: WebSocket messages received, events in them, commits of the live feed. */
export interface LiveCounters {
  frames: number;
  events: number;
  renders: number;
}

declare global {
  interface Window {
    __jobqueueLive?: LiveCounters;
  }
}

export function liveCounters(): LiveCounters {
  window.__jobqueueLive ??= { frames: 0, events: 0, renders: 0 };
  return window.__jobqueueLive;
}

type Listener = () => void;

/** The live state of a signed-in session, as an external store that components read with useSyncExternalStore. */
export class LiveStore {
  private state: LiveState = initialLiveState;
  private status: ConnectionStatus = 'connecting';
  private readonly listeners = new Set<Listener>();

  getState = (): LiveState => this.state;

  getStatus = (): ConnectionStatus => this.status;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  apply(frames: readonly LiveFrame[]): void {
    const next = applyFrames(this.state, frames);
    if (next !== this.state) {
      this.state = next;
      this.emit();
    }
  }

  setStatus(status: ConnectionStatus): void {
    if (status !== this.status) {
      this.status = status;
      this.emit();
    }
  }

  private emit(): void {
    for (const listener of this.listeners) {
      listener();
    }
  }
}
