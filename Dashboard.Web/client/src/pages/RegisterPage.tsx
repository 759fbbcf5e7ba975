import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../api/client';
import type { AuthToken, CreatedApiKey } from '../api/types';
import { sessionStore } from '../auth/session';
import { CopyButton } from '../components/CopyButton';
import { ErrorAlert } from '../components/States';
import { AuthFrame } from './AuthFrame';
import { accountSession } from './LoginPage';

type Registered = AuthToken & { api_key?: CreatedApiKey };

export function RegisterPage() {
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [key, setKey] = useState<CreatedApiKey | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { data } = await api<Registered>({ method: 'POST', path: '/auth/register', body: { email, password }, anonymous: true });
      // Signed in at once: the key below is shown this one time, and the user may leave without pressing Continue.
      sessionStore.signIn(accountSession(data, email));
      setKey(data.api_key ?? null);
      if (data.api_key === undefined) {
        void navigate('/overview', { replace: true });
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (key !== null) {
    return (
      <AuthFrame title="Your API key">
        <p>
          Applications enqueue jobs with this key (header <code>X-API-Key</code>). It is shown <strong>only this once</strong>:
          copy it now. You can make more keys later under API keys.
        </p>
        <div className="secret">
          <code data-testid="new-api-key">{key.key}</code>
          <CopyButton text={key.key ?? ''} />
        </div>
        <p className="hint">
          {key.tier} tier: {key.jobs_limit === -1 ? 'unlimited jobs' : `${key.jobs_limit?.toLocaleString()} jobs a month`}.
        </p>
        <button type="button" className="button button-primary full" onClick={() => void navigate('/overview', { replace: true })}>
          Continue
        </button>
      </AuthFrame>
    );
  }

  return (
    <AuthFrame
      title="Create account"
      footer={
        <>
          Already have an account? <Link to="/login">Sign in</Link>
        </>
      }
    >
      <form className="form" onSubmit={(e) => void submit(e)}>
        <label className="field">
          <span>Email</span>
          <input type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            maxLength={1024}
            aria-describedby="password-hint"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <small className="hint" id="password-hint">
            At least 8 characters.
          </small>
        </label>
        {error !== null && <ErrorAlert error={error} />}
        <button type="submit" className="button button-primary" disabled={busy}>
          Create account
        </button>
      </form>
    </AuthFrame>
  );
}
