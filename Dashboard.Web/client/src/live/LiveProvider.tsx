import { useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { keys } from '../api/queries';
import { liveCredential, type Session } from '../auth/session';
import { listMembershipCanChange, patchQueryCache } from './cachePatch';
import { LiveConnection, liveUrl, type ConnectionStatus } from './connection';
import { createFrameBatcher } from './frameBatcher';
import { parseFrame, type LiveFrame } from './frames';
import { latestChanges, recentChanges } from './jobChanges';
import type { LiveState } from './liveState';
import { liveCounters, LiveStore } from './liveStore';
import { Throttle } from './throttle';

const LiveContext = createContext<LiveStore | null>(null);

/** A job list refetch brings new rows in; under 1,000 events a second it still runs at most every two seconds. */
const LIST_REFETCH_INTERVAL_MS = 2000;

/**
 * The signed-in session's one WebSocket to /ws. Every message is counted and buffered; once per animation frame the
 * buffer is parsed, folded into the live state (one commit) and laid onto the query cache. Pages below read it with
 * useLiveState; the socket lives as long as the session, not as long as a page.
 */
export function LiveProvider({ session, children }: { session: Session; children: ReactNode }) {
  const queryClient = useQueryClient();
  const [store] = useState(() => new LiveStore());
  const credential = liveCredential(session).toString();

  useEffect(() => {
    const counters = liveCounters();
    const throttles = {
      lists: new Throttle(LIST_REFETCH_INTERVAL_MS, () => {
        void queryClient.invalidateQueries({ queryKey: keys.jobLists, predicate: (q) => listMembershipCanChange(q.queryKey) });
      }),
      dlq: new Throttle(LIST_REFETCH_INTERVAL_MS, () => {
        void queryClient.invalidateQueries({ queryKey: ['dlq'] });
      }),
    };
    const batcher = createFrameBatcher<string>((texts) => {
      const frames: LiveFrame[] = [];
      for (const text of texts) {
        const frame = parseFrame(text);
        if (frame !== null) {
          frames.push(frame);
        }
      }
      counters.events += frames.length;
      const changes = latestChanges(frames);
      recentChanges.record(changes);
      store.apply(frames);
      patchQueryCache(queryClient, frames, changes, throttles);
    });
    const connection = new LiveConnection({
      url: () => liveUrl(window.location, new URLSearchParams(credential)),
      onMessage: (text) => {
        counters.frames += 1;
        batcher.push(text);
      },
      onStatus: (status) => store.setStatus(status),
      // Nothing is replayed after a reconnect (README, /ws): what happened meanwhile is fetched again.
      onReconnect: () => void queryClient.invalidateQueries(),
    });
    const flushWhenHidden = () => batcher.flush();
    document.addEventListener('visibilitychange', flushWhenHidden);
    connection.start();
    return () => {
      document.removeEventListener('visibilitychange', flushWhenHidden);
      connection.stop();
      batcher.dispose();
      throttles.lists.cancel();
      throttles.dlq.cancel();
      recentChanges.clear();
    };
  }, [credential, queryClient, store]);

  return <LiveContext.Provider value={store}>{children}</LiveContext.Provider>;
}

function useLiveStore(): LiveStore {
  const store = useContext(LiveContext);
  if (store === null) {
    throw new Error('useLiveStore outside LiveProvider');
  }
  return store;
}

/** The live state, re-rendering the caller on every flush that changed it. */
export function useLiveState(): LiveState {
  const store = useLiveStore();
  return useSyncExternalStore(store.subscribe, store.getState);
}

export function useConnectionStatus(): ConnectionStatus {
  const store = useLiveStore();
  return useSyncExternalStore(store.subscribe, store.getStatus);
}

/** The live state sampled every `intervalMs` rather than on every flush: for views (the chart) that need no more. */
export function useSampledLiveState(intervalMs: number): { state: LiveState; now: number } {
  const store = useLiveStore();
  const [sample, setSample] = useState(() => ({ state: store.getState(), now: Date.now() }));
  useEffect(() => {
    const timer = window.setInterval(() => setSample({ state: store.getState(), now: Date.now() }), intervalMs);
    return () => window.clearInterval(timer);
  }, [store, intervalMs]);
  return sample;
}
