import { useMutation, useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { apiData } from '../api/client';
import { keys } from '../api/queries';
import type { BillingUrl, Tier, Usage } from '../api/types';
import { formatDateTime, formatNumber } from '../components/format';
import { ErrorAlert, Loading, Notice } from '../components/States';

const TIERS: ReadonlyArray<{ tier: Tier; name: string; limit: string; blurb: string }> = [
  { tier: 'free', name: 'Free', limit: '1,000 jobs a month', blurb: 'For trying JobQueue and side projects.' },
  { tier: 'pro', name: 'Pro', limit: '100,000 jobs a month', blurb: 'For production apps with steady background work.' },
  { tier: 'business', name: 'Business', limit: 'Unlimited jobs', blurb: 'For teams whose queues never sleep.' },
];
const RANK: Readonly<Record<Tier, number>> = { free: 0, pro: 1, business: 2 };

function UsageMeter({ usage }: { usage: Usage }) {
  const unlimited = usage.jobs_limit === -1;
  const used = usage.jobs_used ?? 0;
  const percent = unlimited ? 0 : Math.min(100, usage.usage_percent ?? (usage.jobs_limit ? (used / usage.jobs_limit) * 100 : 0));
  return (
    <section className="card" aria-labelledby="usage-title">
      <h2 id="usage-title">This month</h2>
      <p className="usage-figure">
        <span className="usage-used">{formatNumber(used)}</span>
        <span className="muted"> {unlimited ? 'jobs (unlimited)' : `of ${formatNumber(usage.jobs_limit)} jobs`}</span>
      </p>
      {!unlimited && (
        <div
          className={usage.limit_reached ? 'meter meter-full' : 'meter'}
          role="progressbar"
          aria-label="Share of this month's jobs used"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(percent)}
        >
          <span style={{ width: `${percent}%` }} />
        </div>
      )}
      <p className="muted small">
        {usage.tier} tier · the count resets {formatDateTime(usage.reset_at)}
        {usage.limit_reached ? ' · the limit is reached: new jobs are refused with 429 until then' : ''}
      </p>
    </section>
  );
}

export function BillingPage() {
  const [search] = useSearchParams();
  const usage = useQuery({ queryKey: keys.usage, queryFn: ({ signal }) => apiData<Usage>({ path: '/api/v1/usage', signal }), refetchInterval: 10_000 });
  const checkout = useMutation({
    mutationFn: (tier: Tier) => apiData<BillingUrl>({ method: 'POST', path: '/portal/checkout', body: { tier } }),
    onSuccess: (page) => {
      if (page.url !== undefined) {
        window.location.assign(page.url);
      }
    },
  });
  const portal = useMutation({
    mutationFn: () => apiData<BillingUrl>({ method: 'POST', path: '/portal/customer-portal' }),
    onSuccess: (page) => {
      if (page.url !== undefined) {
        window.location.assign(page.url);
      }
    },
  });
  const current = usage.data?.tier ?? 'free';
  const returned = search.get('checkout');
  return (
    <>
      <div className="page-header">
        <h1>Usage &amp; billing</h1>
        {usage.data !== undefined && current !== 'free' && (
          <button type="button" className="button" disabled={portal.isPending} onClick={() => portal.mutate()}>
            Manage subscription
          </button>
        )}
      </div>
      {returned === 'success' && <Notice>Thank you: the new tier applies as soon as Stripe confirms the payment.</Notice>}
      {returned === 'cancelled' && <Notice>Checkout was cancelled; nothing changed.</Notice>}
      {checkout.isError && <ErrorAlert error={checkout.error} />}
      {portal.isError && <ErrorAlert error={portal.error} />}
      {usage.isPending ? <Loading /> : usage.isError ? <ErrorAlert error={usage.error} /> : <UsageMeter usage={usage.data} />}
      <section aria-labelledby="plans-title">
        <h2 id="plans-title">Plans</h2>
        <div className="tiers">
          {TIERS.map((t) => (
            <article key={t.tier} className={t.tier === current ? 'tier tier-current' : 'tier'} aria-labelledby={`tier-${t.tier}`}>
              <h3 id={`tier-${t.tier}`}>{t.name}</h3>
              <p className="tier-limit">{t.limit}</p>
              <p className="muted">{t.blurb}</p>
              {t.tier === current ? (
                <span className="badge badge-info">Current plan</span>
              ) : RANK[t.tier] > RANK[current] ? (
                <button
                  type="button"
                  className="button button-primary"
                  aria-label={`Upgrade to ${t.name}`}
                  disabled={checkout.isPending}
                  onClick={() => checkout.mutate(t.tier)}
                >
                  Upgrade
                </button>
              ) : null}
            </article>
          ))}
        </div>
      </section>
    </>
  );
}
