import type { ReactNode } from 'react';
import { Link } from 'react-router';

/** The frame of the pages before sign-in: the brand and one card. */
export function AuthFrame({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <div className="auth">
      <main className="auth-card">
        <Link to="/" className="brand auth-brand">
          <span className="brand-mark" aria-hidden="true" />
          JobQueue
        </Link>
        <h1>{title}</h1>
        {children}
        {footer !== undefined && <div className="auth-footer">{footer}</div>}
      </main>
    </div>
  );
}
