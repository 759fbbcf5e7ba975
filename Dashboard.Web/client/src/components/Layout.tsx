import { useQueryClient } from '@tanstack/react-query';
import { NavLink, Outlet } from 'react-router';
import { sessionLabel, sessionStore, type Session } from '../auth/session';
import { useConnectionStatus } from '../live/LiveProvider';

const NAV: ReadonlyArray<{ to: string; label: string }> = [
  { to: '/overview', label: 'Overview' },
  { to: '/jobs', label: 'Jobs' },
  { to: '/dlq', label: 'Dead letters' },
  { to: '/workers', label: 'Workers' },
  { to: '/cron', label: 'Cron' },
  { to: '/webhooks', label: 'Webhooks' },
  { to: '/keys', label: 'API keys' },
  { to: '/billing', label: 'Usage & billing' },
];

const STATUS_TEXT = {
  connecting: 'Connecting…',
  open: 'Live',
  reconnecting: 'Reconnecting…',
  closed: 'Offline',
} as const;

function LiveIndicator() {
  const status = useConnectionStatus();
  return (
    <span className={`live-indicator live-${status}`} title="The /ws stream of job events">
      <span className="live-dot" aria-hidden="true" />
      {STATUS_TEXT[status]}
    </span>
  );
}

/** The signed-in frame: the main navigation, who is signed in, the live stream's state, and the page. */
export function Layout({ session }: { session: Session }) {
  const queryClient = useQueryClient();
  const signOut = () => {
    sessionStore.end('signed-out');
    // The next account must not see this one's cached jobs, keys or usage for a moment.
    queryClient.clear();
    // Without a session the signed-in routes redirect to /login (App.tsx).
  };
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="sidebar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          JobQueue
        </div>
        <nav aria-label="Main" className="nav">
          {NAV.map((item) => (
            <NavLink key={item.to} to={item.to} className={({ isActive }) => (isActive ? 'nav-link active' : 'nav-link')}>
              {item.label}
            </NavLink>
          ))}
        </nav>
        <div className="account">
          <LiveIndicator />
          <span className="account-name" title={sessionLabel(session)}>
            {sessionLabel(session)}
          </span>
          <button type="button" className="button button-ghost" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
