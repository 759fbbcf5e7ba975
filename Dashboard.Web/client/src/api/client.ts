import { authHeaders, sessionStore, type Session } from '../auth/session';
import { ApiError, errorMessageOf, parseRetryAfter } from './errors';
import type { ApiPath, Meta } from './types';

export interface ApiAnswer<T> {
  data: T;
  meta: Meta;
}

type QueryValue = string | number | boolean | null | undefined;

export interface ApiRequest {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** A path of openapi.yaml, `{name}` segments filled from params: a path the spec lacks does not compile. */
  path: ApiPath;
  params?: Record<string, string>;
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Sign-in and registration send no credential, and their 401 means "wrong password", not "session expired". */
  anonymous?: boolean;
  /** A credential to try instead of the session's (the admin key before it is kept); its 401 ends no session. */
  as?: Session;
  signal?: AbortSignal;
}

export function buildUrl(path: string, params: Record<string, string> = {}, query: Record<string, QueryValue> = {}): string {
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) {
      throw new Error(`${path}: no value for {${name}}`);
    }
    return encodeURIComponent(value);
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') {
      search.set(key, String(value));
    }
  }
  const qs = search.toString();
  return qs.length > 0 ? `${filled}?${qs}` : filled;
}

/**
 * One call to the API through the gateway (same origin), unwrapping the `{data, error, meta}` envelope. Any failure
 * throws an ApiError with the envelope's message. A 401 on a call that carried our credential means the token expired
 * or the key was revoked: the session ends and the app returns to the sign-in page.
 */
export async function api<T>(request: ApiRequest): Promise<ApiAnswer<T>> {
  const session = request.anonymous ? null : (request.as ?? sessionStore.get());
  const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders(session) };
  let body: string | undefined;
  if (request.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(request.body);
  }
  const response = await fetch(buildUrl(request.path, request.params, request.query), {
    method: request.method ?? 'GET',
    headers,
    body,
    signal: request.signal,
  });

  if (response.status === 204) {
    return { data: null as T, meta: {} };
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    if (response.status === 401 && session !== null && request.as === undefined) {
      sessionStore.end('expired');
    }
    throw new ApiError(
      response.status,
      errorMessageOf(response.status, response.statusText, parsed),
      parseRetryAfter(response.headers.get('Retry-After')),
    );
  }
  const envelope = (parsed ?? {}) as { data?: T; meta?: Meta };
  return { data: envelope.data as T, meta: envelope.meta ?? {} };
}

/** Just the data, for queries that ignore meta. */
export async function apiData<T>(request: ApiRequest): Promise<T> {
  return (await api<T>(request)).data;
}
