import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api } from '../api/client';
import type { AuthToken, Stats } from '../api/types';
import { sessionStore, tokenExpiry, type Session } from '../auth/session';
import { ErrorAlert, Notice } from '../components/States';
import { AuthFrame } from './AuthFrame';

/** Where to go after signing in: the page that sent us here, if it is a path of this app, else the overview. */
export function destination(next: string | null): string {
  return next !== null && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/overview';
}

export function accountSession(auth: AuthToken, email: string): Session {
  const token = auth.token ?? '';
  const expiresAt = auth.expires_at !== undefined ? Date.parse(auth.expires_at) : tokenExpiry(token);
  return { kind: 'account', token, email: auth.user?.email ?? email, expiresAt: Number.isNaN(expiresAt) ? null : expiresAt };
}

export function LoginPage() {
  const navigate = useNavigate();
  const [search] = useSearchParams();
  const [mode, setMode] = useState<'account' | 'admin'>('account');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [adminKey, setAdminKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const expired = sessionStore.endReason() === 'expired';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'account') {
        const { data } = await api<AuthToken>({ method: 'POST', path: '/auth/login', body: { email, password }, anonymous: true });
        sessionStore.signIn(accountSession(data, email));
      } else {
        // The admin key has no sign-in endpoint: a call it is allowed to make proves it before it is kept.
        const admin: Session = { kind: 'admin', key: adminKey.trim() };
        await api<Stats>({ path: '/api/v1/stats', as: admin });
        sessionStore.signIn(admin);
      }
      void navigate(destination(search.get('next')), { replace: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthFrame
      title="Sign in"
      footer={
        <>
          No account? <Link to="/register">Create account</Link>
        </>
      }
    >
      {expired && <Notice>Your session ended (the token expired or the key was revoked). Sign in again.</Notice>}
      <form className="form" onSubmit={(e) => void submit(e)}>
        {mode === 'account' ? (
          <>
            <label className="field">
              <span>Email</span>
              <input type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
            </label>
            <label className="field">
              <span>Password</span>
              <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
            </label>
            <Link to="/forgot-password" className="small-link">
              Forgot password?
            </Link>
          </>
        ) : (
          <label className="field">
            <span>Admin key</span>
            <input type="password" autoComplete="off" required value={adminKey} onChange={(e) => setAdminKey(e.target.value)} />
            <small className="hint">The operator's ADMIN_KEY: it sees every tenant's jobs.</small>
          </label>
        )}
        {error !== null && <ErrorAlert error={error} />}
        <button type="submit" className="button button-primary" disabled={busy}>
          Sign in
        </button>
      </form>
      <button
        type="button"
        className="button button-ghost full"
        onClick={() => {
          setMode(mode === 'account' ? 'admin' : 'account');
          setError(null);
        }}
      >
        {mode === 'account' ? 'Sign in with admin key' : 'Sign in with email and password'}
      </button>
    </AuthFrame>
  );
}
