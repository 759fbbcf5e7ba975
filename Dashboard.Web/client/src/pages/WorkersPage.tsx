import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { apiData } from '../api/client';
import { keys } from '../api/queries';
import type { Worker } from '../api/types';
import { formatAge, formatDateTime, formatNumber, shortId } from '../components/format';
import { Empty, ErrorAlert, Loading } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { useNow } from '../components/useNow';

export function WorkersPage() {
  const [showStopped, setShowStopped] = useState(false);
  const now = useNow(1000);
  const workers = useQuery({
    queryKey: keys.workers(!showStopped),
    queryFn: ({ signal }) => apiData<Worker[]>({ path: '/api/v1/workers', query: { active_only: !showStopped }, signal }),
    // Heartbeats on /ws refresh last_seen in between; the poll brings current jobs and workers that joined.
    refetchInterval: 3000,
  });
  const list = workers.data ?? [];
  return (
    <>
      <div className="page-header">
        <h1>Workers</h1>
        <label className="toggle">
          <input type="checkbox" checked={showStopped} onChange={(e) => setShowStopped(e.target.checked)} />
          Show stopped workers
        </label>
      </div>
      {workers.isPending ? (
        <Loading />
      ) : workers.isError ? (
        <ErrorAlert error={workers.error} />
      ) : list.length === 0 ? (
        <Empty>No worker is registered. Start one with ./run.sh (or scale with --workers N).</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Worker</th>
                <th scope="col">Status</th>
                <th scope="col">Queues</th>
                <th scope="col" className="num">Running</th>
                <th scope="col">Current jobs</th>
                <th scope="col">Heartbeat</th>
                <th scope="col" className="num">Processed</th>
                <th scope="col" className="num">Failed</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {list.map((w) => (
                <tr key={w.id} data-worker-id={w.id}>
                  <td>
                    <div className="mono">{w.id}</div>
                    <div className="muted small">
                      {w.host}
                      {w.pid !== undefined ? ` · pid ${w.pid}` : ''}
                    </div>
                  </td>
                  <td>
                    <StatusBadge status={w.status ?? 'unknown'} />
                  </td>
                  <td>{(w.queues ?? []).join(', ')}</td>
                  <td className="num">
                    {formatNumber(w.running)}/{formatNumber(w.concurrency)}
                  </td>
                  <td>
                    {(w.current_jobs ?? []).length === 0 ? (
                      <span className="muted">idle</span>
                    ) : (
                      <ul className="inline-list">
                        {(w.current_jobs ?? []).map((j) => (
                          <li key={j.id}>
                            <Link to={`/jobs/${j.id}`} className="mono" title={`${j.type} ${j.id}`}>
                              {j.type} {shortId(j.id)}
                            </Link>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td title={formatDateTime(w.last_seen)}>{formatAge(w.last_seen, now)}</td>
                  <td className="num">{formatNumber(w.jobs_processed)}</td>
                  <td className="num">{formatNumber(w.jobs_failed)}</td>
                  <td>{formatDateTime(w.started_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
