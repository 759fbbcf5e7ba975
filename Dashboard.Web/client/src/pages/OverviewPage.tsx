import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { Link } from 'react-router';
import { fetchJobPage, fetchStats, keys } from '../api/queries';
import type { JobStatus, Stats } from '../api/types';
import { formatAge, formatNumber, shortId } from '../components/format';
import { Empty, ErrorAlert, Loading } from '../components/States';
import { useNow } from '../components/useNow';
import { emptyFilters } from '../jobs/filters';
import { LiveFeed } from './overview/LiveFeed';

// Recharts is most of the bundle's weight and only this page draws a chart: it loads on its own, after the page.
const ThroughputChart = lazy(() => import('./overview/ThroughputChart').then((m) => ({ default: m.ThroughputChart })));

const COUNTED: ReadonlyArray<{ status: JobStatus; label: string }> = [
  { status: 'pending', label: 'Pending' },
  { status: 'running', label: 'Running' },
  { status: 'completed', label: 'Completed' },
  { status: 'failed', label: 'Failed (retrying)' },
  { status: 'dead', label: 'Dead' },
  { status: 'cancelled', label: 'Cancelled' },
];

function StatusCounts({ stats }: { stats: Stats }) {
  return (
    <div className="stat-grid">
      {COUNTED.map(({ status, label }) => (
        <Link key={status} to={`/jobs?status=${status}`} className={`stat stat-${status}`}>
          <span className="stat-label">{label}</span>
          <span className="stat-value" data-testid={`count-${status}`}>
            {formatNumber(stats[status] ?? 0)}
          </span>
        </Link>
      ))}
    </div>
  );
}

function Health({ stats }: { stats: Stats }) {
  return (
    <dl className="facts">
      <div>
        <dt>Total jobs</dt>
        <dd>{formatNumber(stats.total_jobs)}</dd>
      </div>
      <div>
        <dt>Active workers</dt>
        <dd>
          <Link to="/workers">{formatNumber(stats.active_workers)}</Link>
        </dd>
      </div>
      <div>
        <dt>Jobs per minute</dt>
        <dd>{formatNumber(stats.jobs_per_minute)}</dd>
      </div>
      <div>
        <dt>Failure rate</dt>
        <dd>{stats.failed_rate === undefined ? '—' : `${(stats.failed_rate * 100).toFixed(1)} %`}</dd>
      </div>
      <div>
        <dt>Waiting in queues</dt>
        <dd>{formatNumber(stats.queue_depth)}</dd>
      </div>
      <div>
        <dt>Dead letters</dt>
        <dd>
          <Link to="/dlq">{formatNumber(stats.dlq_count)}</Link>
        </dd>
      </div>
    </dl>
  );
}

function QueueDepths({ stats }: { stats: Stats }) {
  const queues = stats.queues ?? [];
  return (
    <section className="card" aria-labelledby="queues-title">
      <div className="card-header">
        <h2 id="queues-title">Queues</h2>
      </div>
      {queues.length === 0 ? (
        <p className="muted">No per-queue figures yet.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Queue</th>
                <th scope="col" className="num">Waiting</th>
                <th scope="col" className="num">Running</th>
              </tr>
            </thead>
            <tbody>
              {queues.map((q) => (
                <tr key={q.queue}>
                  <td>
                    <Link to={`/jobs?queue=${encodeURIComponent(q.queue)}`}>{q.queue}</Link>
                  </td>
                  <td className="num">{formatNumber(q.depth)}</td>
                  <td className="num">{formatNumber(q.running)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

const RUNNING_LIMIT = 10;
const runningFilters = { ...emptyFilters, status: 'running' as const };

function RunningJobs() {
  const now = useNow(1000);
  const query = useQuery({
    queryKey: keys.jobList(runningFilters, null, RUNNING_LIMIT),
    queryFn: ({ signal }) => fetchJobPage(runningFilters, null, RUNNING_LIMIT, signal),
    refetchInterval: 5000,
  });
  const running = (query.data?.items ?? []).filter((job) => job.status === 'running');
  return (
    <section className="card" aria-labelledby="running-title">
      <div className="card-header">
        <h2 id="running-title">Running now</h2>
        <Link to="/jobs?status=running" className="small">
          All running jobs
        </Link>
      </div>
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorAlert error={query.error} />
      ) : running.length === 0 ? (
        <p className="muted">Nothing is running.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Type</th>
                <th scope="col">Worker</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {running.map((job) => (
                <tr key={job.id}>
                  <td>
                    <Link to={`/jobs/${job.id}`} className="mono" title={job.id}>
                      {shortId(job.id)}
                    </Link>
                  </td>
                  <td>{job.type}</td>
                  <td className="mono">{job.worker_id ?? '—'}</td>
                  <td>{formatAge(job.started_at, now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function OverviewPage() {
  // The stream's stats.update (every 5 s) lands in the same cache entry; the poll covers a stream that is down.
  const stats = useQuery({ queryKey: keys.stats, queryFn: ({ signal }) => fetchStats(signal), refetchInterval: 5000 });
  return (
    <>
      <div className="page-header">
        <h1>Overview</h1>
      </div>
      {stats.isPending ? (
        <Loading />
      ) : stats.isError ? (
        <ErrorAlert error={stats.error} />
      ) : stats.data.total_jobs === 0 ? (
        <>
          <StatusCounts stats={stats.data} />
          <Empty>
            No jobs yet. <Link to="/jobs">Enqueue one</Link> or send <code>POST /api/v1/jobs</code> with an API key.
          </Empty>
        </>
      ) : (
        <>
          <StatusCounts stats={stats.data} />
          <Health stats={stats.data} />
        </>
      )}
      <div className="grid-2">
        <Suspense fallback={<section className="card"><Loading label="Loading the chart…" /></section>}>
          <ThroughputChart />
        </Suspense>
        {stats.data !== undefined && <QueueDepths stats={stats.data} />}
      </div>
      <div className="grid-2">
        <LiveFeed />
        <RunningJobs />
      </div>
    </>
  );
}
