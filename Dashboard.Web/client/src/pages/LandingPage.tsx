import { Link } from 'react-router';
import { AuthFrame } from './AuthFrame';

export function LandingPage() {
  return (
    <AuthFrame title="Background jobs you can watch">
      <p className="lead">
        Enqueue work over HTTP; JobQueue stores it in Postgres, runs it on your workers with retries, schedules and a
        dead-letter queue, and shows every job live.
      </p>
      <div className="actions">
        <Link className="button button-primary" to="/login">
          Sign in
        </Link>
        <Link className="button" to="/register">
          Create account
        </Link>
      </div>
    </AuthFrame>
  );
}
