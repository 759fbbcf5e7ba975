import { useSyncExternalStore } from 'react';

/**
 * Who the dashboard acts as. An account signs in with email and password and holds the login token (a 24 h JWT);
 * an operator signs in with the ADMIN_KEY and sees every tenant. Kept in localStorage so a reload stays signed in.
 */
export type Session =
  | { kind: 'account'; token: string; email: string; expiresAt: number | null }
  | { kind: 'admin'; key: string };

/** Why the last session ended, for the sign-in page to explain an unexpected return. */
export type EndReason = 'signed-out' | 'expired';

const STORAGE_KEY = 'jobqueue.session';

type Listener = () => void;

/** The `exp` claim of a JWT in milliseconds, or null when the token has none or is not a JWT. */
export function tokenExpiry(token: string): number | null {
  const payload = token.split('.')[1];
  if (payload === undefined) {
    return null;
  }
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : null;
  } catch {
    return null;
  }
}

function isSession(value: unknown): value is Session {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const s = value as Record<string, unknown>;
  return (s.kind === 'account' && typeof s.token === 'string' && typeof s.email === 'string')
    || (s.kind === 'admin' && typeof s.key === 'string');
}

/** A stored session, unless it is unreadable or its token has already expired (the API would only answer 401). */
export function readStoredSession(storage: Storage, now: number): Session | null {
  const raw = storage.getItem(STORAGE_KEY);
  if (raw === null) {
    return null;
  }
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!isSession(parsed)) {
      return null;
    }
    if (parsed.kind === 'account' && parsed.expiresAt !== null && parsed.expiresAt <= now) {
      return null;
    }
    return parsed;
  } catch {
    return null;
  }
}

class SessionStore {
  private current: Session | null;
  private reason: EndReason | null = null;
  private readonly listeners = new Set<Listener>();

  constructor() {
    this.current = readStoredSession(localStorage, Date.now());
    // Another tab signing in or out changes this one too: both share the stored token.
    window.addEventListener('storage', (event) => {
      if (event.key === STORAGE_KEY) {
        this.current = readStoredSession(localStorage, Date.now());
        this.emit();
      }
    });
  }

  get = (): Session | null => this.current;

  endReason = (): EndReason | null => this.reason;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  signIn(session: Session): void {
    this.current = session;
    this.reason = null;
    localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    this.emit();
  }

  end(reason: EndReason): void {
    if (this.current === null) {
      return;
    }
    this.current = null;
    this.reason = reason;
    localStorage.removeItem(STORAGE_KEY);
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) {
      listener();
    }
  }
}

export const sessionStore = new SessionStore();

export function useSession(): Session | null {
  return useSyncExternalStore(sessionStore.subscribe, sessionStore.get);
}

/** The header the API reads the credential from (README, Authentication). */
export function authHeaders(session: Session | null): Record<string, string> {
  if (session === null) {
    return {};
  }
  return session.kind === 'account' ? { Authorization: `Bearer ${session.token}` } : { 'X-API-Key': session.key };
}

/** /ws takes the credential in the query string, as a browser WebSocket cannot send headers. */
export function liveCredential(session: Session): URLSearchParams {
  return new URLSearchParams(session.kind === 'account' ? { token: session.token } : { api_key: session.key });
}

/** What the header shows for the signed-in user. */
export function sessionLabel(session: Session): string {
  return session.kind === 'account' ? session.email : 'Operator (admin key)';
}
