import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../api/client';
import type { Message } from '../api/types';
import { ErrorAlert, Notice } from '../components/States';
import { AuthFrame } from './AuthFrame';

export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { data } = await api<Message>({ method: 'POST', path: '/auth/forgot-password', body: { email }, anonymous: true });
      setSent(data?.message ?? 'If an account exists for this address, a reset link is on its way.');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthFrame title="Reset your password" footer={<Link to="/login">Back to sign in</Link>}>
      {sent !== null ? (
        <Notice>{sent}</Notice>
      ) : (
        <form className="form" onSubmit={(e) => void submit(e)}>
          <p className="hint">We send a link that sets a new password. It works once, within an hour.</p>
          <label className="field">
            <span>Email</span>
            <input type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
          {error !== null && <ErrorAlert error={error} />}
          <button type="submit" className="button button-primary" disabled={busy}>
            Send reset link
          </button>
        </form>
      )}
    </AuthFrame>
  );
}

export function ResetPasswordPage() {
  const [search] = useSearchParams();
  const [token, setToken] = useState(search.get('token') ?? '');
  const [password, setPassword] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const tokenFromLink = search.get('token') !== null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { data } = await api<Message>({ method: 'POST', path: '/auth/reset-password', body: { token: token.trim(), password }, anonymous: true });
      setDone(data?.message ?? 'Your password is changed.');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthFrame title="Choose a new password" footer={<Link to="/login">Back to sign in</Link>}>
      {done !== null ? (
        <>
          <Notice>{done} Every earlier sign-in has ended.</Notice>
          <Link className="button button-primary full" to="/login">
            Sign in
          </Link>
        </>
      ) : (
        <form className="form" onSubmit={(e) => void submit(e)}>
          {!tokenFromLink && (
            <label className="field">
              <span>Reset token</span>
              <input required autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />
            </label>
          )}
          <label className="field">
            <span>New password</span>
            <input type="password" autoComplete="new-password" required minLength={8} value={password} onChange={(e) => setPassword(e.target.value)} />
          </label>
          {error !== null && <ErrorAlert error={error} />}
          <button type="submit" className="button button-primary" disabled={busy}>
            Set password
          </button>
        </form>
      )}
    </AuthFrame>
  );
}
