export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/**
 * Wait before reconnect number `attempt` (1 for the first): doubling from 1 s up to 30 s, each wait drawn between half
 * and all of that ("equal jitter"), so a restarted Jobs.Api is not hit by every dashboard in the same millisecond.
 */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

export interface LiveConnectionOptions {
  url: () => string;
  onMessage: (text: string) => void;
  onStatus: (status: ConnectionStatus) => void;
  /** Called on every open after the first: events were missed meanwhile (nothing is replayed), so refetch. */
  onReconnect: () => void;
  createSocket?: (url: string) => WebSocket;
}

/** The session's one WebSocket to /ws, reopened after any close with a growing, jittered wait until it is stopped. */
export class LiveConnection {
  private socket: WebSocket | null = null;
  private retryTimer: number | null = null;
  private failures = 0;
  private openedBefore = false;
  private stopped = false;

  constructor(private readonly options: LiveConnectionOptions) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== null) {
      window.clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    const socket = this.socket;
    this.socket = null;
    if (socket !== null) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close(1000, 'signed out');
    }
    this.options.onStatus('closed');
  }

  private open(): void {
    this.options.onStatus(this.openedBefore ? 'reconnecting' : 'connecting');
    const create = this.options.createSocket ?? ((url: string) => new WebSocket(url));
    const socket = create(this.options.url());
    this.socket = socket;
    socket.onopen = () => {
      this.failures = 0;
      this.options.onStatus('open');
      if (this.openedBefore) {
        this.options.onReconnect();
      }
      this.openedBefore = true;
    };
    socket.onmessage = (event: MessageEvent) => {
      if (typeof event.data === 'string') {
        this.options.onMessage(event.data);
      }
    };
    socket.onclose = () => {
      if (this.stopped || this.socket !== socket) {
        return;
      }
      this.socket = null;
      this.failures += 1;
      this.options.onStatus('reconnecting');
      this.retryTimer = window.setTimeout(() => {
        this.retryTimer = null;
        this.open();
      }, reconnectDelay(this.failures));
    };
  }
}

/** ws: or wss: to /ws on this origin (the gateway), with the session's credential in the query string. */
export function liveUrl(location: Pick<Location, 'protocol' | 'host'>, credential: URLSearchParams): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws?${credential.toString()}`;
}
