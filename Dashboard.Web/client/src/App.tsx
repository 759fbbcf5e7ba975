import { Navigate, Route, Routes, useLocation } from 'react-router';
import { sessionStore, useSession, type Session } from './auth/session';
import { Layout } from './components/Layout';
import { LiveProvider } from './live/LiveProvider';
import { BillingPage } from './pages/BillingPage';
import { CronPage } from './pages/CronPage';
import { DlqPage } from './pages/DlqPage';
import { ForgotPasswordPage, ResetPasswordPage } from './pages/PasswordPages';
import { JobDetailPage } from './pages/JobDetailPage';
import { JobsPage } from './pages/JobsPage';
import { KeysPage } from './pages/KeysPage';
import { LandingPage } from './pages/LandingPage';
import { LoginPage } from './pages/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { OverviewPage } from './pages/OverviewPage';
import { RegisterPage } from './pages/RegisterPage';
import { WebhooksPage } from './pages/WebhooksPage';
import { WorkersPage } from './pages/WorkersPage';

/** Signed-in pages: without a session (never signed in, signed out, or a 401 ended it) the way leads to /login. */
function SignedIn({ session }: { session: Session | null }) {
  const location = useLocation();
  if (session === null) {
    if (sessionStore.endReason() === 'signed-out') {
      return <Navigate to="/login" replace />;
    }
    // The page asked for rides in the URL (not history state, which a reload keeps), so a fresh /login goes to the overview.
    return <Navigate to={`/login?${new URLSearchParams({ next: location.pathname + location.search }).toString()}`} replace />;
  }
  return (
    <LiveProvider session={session}>
      <Layout session={session} />
    </LiveProvider>
  );
}

export function App() {
  const session = useSession();
  return (
    <Routes>
      <Route path="/" element={session === null ? <LandingPage /> : <Navigate to="/overview" replace />} />
      <Route path="/login" element={<LoginPage />} />
      <Route path="/register" element={<RegisterPage />} />
      <Route path="/forgot-password" element={<ForgotPasswordPage />} />
      <Route path="/reset-password" element={<ResetPasswordPage />} />
      <Route element={<SignedIn session={session} />}>
        <Route path="/overview" element={<OverviewPage />} />
        <Route path="/jobs" element={<JobsPage admin={session?.kind === 'admin'} />} />
        <Route path="/jobs/:id" element={<JobDetailPage />} />
        <Route path="/dlq" element={<DlqPage />} />
        <Route path="/workers" element={<WorkersPage />} />
        <Route path="/cron" element={<CronPage />} />
        <Route path="/webhooks" element={<WebhooksPage />} />
        <Route path="/keys" element={<KeysPage />} />
        <Route path="/billing" element={<BillingPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
