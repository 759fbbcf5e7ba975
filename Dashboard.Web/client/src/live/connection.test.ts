import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveConnection, liveUrl, reconnectDelay, type ConnectionStatus } from './connection';

class FakeSocket {
  onopen: (() => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  close() {
    this.closed = true;
  }
}

describe('reconnectDelay', () => {
  it('doubles from 1 s to a 30 s ceiling, jittered between half and all of it', () => {
    expect(reconnectDelay(1, () => 0)).toBe(500);
    expect(reconnectDelay(1, () => 1)).toBe(1000);
    expect(reconnectDelay(3, () => 1)).toBe(4000);
    expect(reconnectDelay(20, () => 1)).toBe(30_000);
    expect(reconnectDelay(20, () => 0)).toBe(15_000);
  });
});

describe('liveUrl', () => {
  it('opens /ws on this origin with the credential in the query string', () => {
    expect(liveUrl({ protocol: 'http:', host: 'localhost:8080' }, new URLSearchParams({ token: 'a.b.c' }))).toBe('ws://localhost:8080/ws?token=a.b.c');
    expect(liveUrl({ protocol: 'https:', host: 'jq.example.com' }, new URLSearchParams({ api_key: 'k' }))).toBe('wss://jq.example.com/ws?api_key=k');
  });
});

describe('LiveConnection', () => {
  let sockets: FakeSocket[];
  let statuses: ConnectionStatus[];
  let messages: string[];
  let reconnects: number;
  let connection: LiveConnection;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.spyOn(Math, 'random').mockReturnValue(1);
    sockets = [];
    statuses = [];
    messages = [];
    reconnects = 0;
    connection = new LiveConnection({
      url: () => 'ws://test/ws?token=t',
      onMessage: (text) => messages.push(text),
      onStatus: (status) => statuses.push(status),
      onReconnect: () => (reconnects += 1),
      createSocket: (url) => {
        const socket = new FakeSocket(url);
        sockets.push(socket);
        return socket as unknown as WebSocket;
      },
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes text frames on and reopens after a close, waiting longer each time it fails', () => {
    connection.start();
    sockets[0]?.onopen?.();
    sockets[0]?.onmessage?.({ data: '{"type":"job.started"}' } as MessageEvent);
    expect(messages).toEqual(['{"type":"job.started"}']);

    sockets[0]?.onclose?.();
    expect(statuses.at(-1)).toBe('reconnecting');
    vi.advanceTimersByTime(999);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);

    sockets[1]?.onclose?.(); // failed before opening: the next wait doubles
    vi.advanceTimersByTime(1999);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);

    sockets[2]?.onopen?.();
    expect(statuses.at(-1)).toBe('open');
    expect(reconnects).toBe(1);
  });

  it('stays closed once stopped', () => {
    connection.start();
    sockets[0]?.onopen?.();
    connection.stop();
    expect(sockets[0]?.closed).toBe(true);
    expect(statuses.at(-1)).toBe('closed');
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
  });
});
