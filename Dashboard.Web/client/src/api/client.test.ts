import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sessionStore } from '../auth/session';
import { api, buildUrl } from './client';
import { ApiError } from './errors';

function answer(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

describe('buildUrl', () => {
  it('fills path parameters (encoded) and drops empty query values', () => {
    expect(buildUrl('/api/v1/jobs/{id}', { id: 'a b' })).toBe('/api/v1/jobs/a%20b');
    expect(buildUrl('/api/v1/jobs/cursor', {}, { status: 'failed', type: '', queue: null, cursor: undefined, limit: 50 })).toBe(
      '/api/v1/jobs/cursor?status=failed&limit=50',
    );
  });

  it('refuses a path whose parameter has no value rather than calling /jobs/{id}', () => {
    expect(() => buildUrl('/api/v1/jobs/{id}')).toThrow('no value for {id}');
  });
});

describe('api', () => {
  const fetchMock = vi.fn<typeof fetch>();

  beforeEach(() => {
    vi.stubGlobal('fetch', fetchMock);
    sessionStore.signIn({ kind: 'account', token: 'jwt-token', email: 'ada@example.com', expiresAt: null });
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    fetchMock.mockReset();
    sessionStore.end('signed-out');
  });

  it('sends the login token as a bearer credential and unwraps the envelope', async () => {
    fetchMock.mockResolvedValue(answer(200, { data: { pending: 3 }, error: null, meta: { request_id: 'r1' } }));
    const { data, meta } = await api<{ pending: number }>({ path: '/api/v1/stats' });
    expect(data).toEqual({ pending: 3 });
    expect(meta.request_id).toBe('r1');
    const init = fetchMock.mock.calls[0]?.[1];
    expect((init?.headers as Record<string, string>).Authorization).toBe('Bearer jwt-token');
  });

  it('sends an admin session’s key as X-API-Key', async () => {
    sessionStore.signIn({ kind: 'admin', key: 'the-admin-key' });
    fetchMock.mockResolvedValue(answer(200, { data: [], error: null, meta: {} }));
    await api({ path: '/api/v1/jobs/cursor' });
    const init = fetchMock.mock.calls[0]?.[1];
    expect((init?.headers as Record<string, string>)['X-API-Key']).toBe('the-admin-key');
  });

  it('throws the envelope’s error with the status and Retry-After', async () => {
    fetchMock.mockResolvedValue(answer(429, { data: null, error: 'rate limit exceeded for this API key', meta: {} }, { 'Retry-After': '2' }));
    const failure = await api({ path: '/api/v1/stats' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).message).toBe('rate limit exceeded for this API key');
    expect((failure as ApiError).status).toBe(429);
    expect((failure as ApiError).retryAfterSeconds).toBe(2);
    expect(sessionStore.get()).not.toBeNull();
  });

  it('ends the session on a 401 to a call that carried it (expired token, revoked key)', async () => {
    fetchMock.mockResolvedValue(answer(401, { data: null, error: 'invalid or expired token', meta: {} }));
    await expect(api({ path: '/api/v1/stats' })).rejects.toThrow('invalid or expired token');
    expect(sessionStore.get()).toBeNull();
    expect(sessionStore.endReason()).toBe('expired');
  });

  it('keeps the session when an anonymous call (a wrong password) answers 401', async () => {
    fetchMock.mockResolvedValue(answer(401, { data: null, error: 'invalid email or password', meta: {} }));
    await expect(api({ method: 'POST', path: '/auth/login', body: {}, anonymous: true })).rejects.toThrow('invalid email or password');
    expect(sessionStore.get()).not.toBeNull();
    const init = fetchMock.mock.calls[0]?.[1];
    expect((init?.headers as Record<string, string>).Authorization).toBeUndefined();
  });

  it('answers null data for 204 (a job without a result yet)', async () => {
    fetchMock.mockResolvedValue(new Response(null, { status: 204 }));
    const { data } = await api({ path: '/api/v1/jobs/{id}/result', params: { id: 'x' } });
    expect(data).toBeNull();
  });
});
