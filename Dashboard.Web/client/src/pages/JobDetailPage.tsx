import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { api } from '../api/client';
import { traceUrl, useClientConfig } from '../api/config';
import { fetchAttempts, fetchJob, keys } from '../api/queries';
import type { Job, JobAttempt } from '../api/types';
import { formatAge, formatDateTime, formatDuration, prettyJson } from '../components/format';
import { ErrorAlert, Loading } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { useNow } from '../components/useNow';

function Attempts({ id }: { id: string }) {
  const attempts = useQuery({ queryKey: keys.attempts(id), queryFn: ({ signal }) => fetchAttempts(id, signal) });
  if (attempts.isPending) {
    return <Loading label="Loading attempts…" />;
  }
  if (attempts.isError) {
    return <ErrorAlert error={attempts.error} />;
  }
  const items: JobAttempt[] = attempts.data?.items ?? [];
  if (items.length === 0) {
    return <p className="muted">No attempt has started yet.</p>;
  }
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col" className="num">Attempt</th>
            <th scope="col">Worker</th>
            <th scope="col">Started</th>
            <th scope="col" className="num">Duration</th>
            <th scope="col">Outcome</th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {items.map((a) => (
            <tr key={a.attempt} data-attempt={a.attempt}>
              <td className="num">{a.attempt}</td>
              <td className="mono">{a.worker_id}</td>
              <td>{formatDateTime(a.started_at)}</td>
              <td className="num">{formatDuration(a.duration_ms)}</td>
              <td>
                <StatusBadge status={a.outcome} />
              </td>
              <td className="error-text">{a.error ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function JobActions({ job }: { job: Job }) {
  const queryClient = useQueryClient();
  const id = job.id ?? '';
  const action = useMutation({
    mutationFn: (kind: 'cancel' | 'retry') =>
      kind === 'cancel'
        ? api<Job>({ method: 'DELETE', path: '/api/v1/jobs/{id}', params: { id } })
        : api<Job>({ method: 'POST', path: '/api/v1/jobs/{id}/retry', params: { id } }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.job(id) });
      void queryClient.invalidateQueries({ queryKey: keys.jobLists });
    },
  });
  const canCancel = job.status === 'pending' || job.status === 'running';
  const canRetry = job.status === 'failed' || job.status === 'dead';
  return (
    <div className="actions">
      {canCancel && (
        <button type="button" className="button" disabled={action.isPending} onClick={() => action.mutate('cancel')}>
          Cancel job
        </button>
      )}
      {canRetry && (
        <button type="button" className="button button-primary" disabled={action.isPending} onClick={() => action.mutate('retry')}>
          Retry job
        </button>
      )}
      {action.isError && <ErrorAlert error={action.error} />}
    </div>
  );
}

function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <pre className="json" aria-label={label} tabIndex={0}>
      {prettyJson(value)}
    </pre>
  );
}

export function JobDetailPage() {
  const { id = '' } = useParams();
  const now = useNow(1000);
  const config = useClientConfig();
  const job = useQuery({ queryKey: keys.job(id), queryFn: ({ signal }) => fetchJob(id, signal) });

  if (job.isPending) {
    return (
      <>
        <h1 className="mono">{id}</h1>
        <Loading />
      </>
    );
  }
  if (job.isError) {
    return (
      <>
        <h1 className="mono">{id}</h1>
        <ErrorAlert error={job.error} />
        <p>
          <Link to="/jobs">Back to jobs</Link>
        </p>
      </>
    );
  }
  const j = job.data;
  const trace = traceUrl(config, j.trace_id);
  const tags = Object.entries(j.tags ?? {});
  return (
    <>
      <p className="breadcrumb">
        <Link to="/jobs">Jobs</Link> /
      </p>
      <div className="page-header">
        <h1 className="mono job-id">{j.id}</h1>
        <JobActions job={j} />
      </div>
      <div className="job-summary">
        <StatusBadge status={j.status ?? 'unknown'} />
        <span className="job-type">{j.type}</span>
        <span className="muted">
          attempt {j.attempts ?? 0} of {j.max_attempts}
        </span>
      </div>
      <div className="grid-2">
        <section className="card" aria-labelledby="details-title">
          <h2 id="details-title">Details</h2>
          <dl className="details">
            <dt>Queue</dt>
            <dd>{j.queue_name}</dd>
            <dt>Priority</dt>
            <dd>{j.priority}</dd>
            <dt>Worker</dt>
            <dd className="mono">{j.worker_id ?? '—'}</dd>
            {j.tenant !== undefined && (
              <>
                <dt>Tenant</dt>
                <dd className="mono">{j.tenant}</dd>
              </>
            )}
            <dt>Created</dt>
            <dd>
              {formatDateTime(j.created_at)} <span className="muted">({formatAge(j.created_at, now)})</span>
            </dd>
            <dt>Scheduled for</dt>
            <dd>{formatDateTime(j.scheduled_at)}</dd>
            <dt>Started</dt>
            <dd>{formatDateTime(j.started_at)}</dd>
            <dt>Ended</dt>
            <dd>{formatDateTime(j.completed_at)}</dd>
            {j.timeout_seconds != null && (
              <>
                <dt>Timeout</dt>
                <dd>{j.timeout_seconds} s</dd>
              </>
            )}
            {j.expires_at != null && (
              <>
                <dt>Removed after</dt>
                <dd>{formatDateTime(j.expires_at)}</dd>
              </>
            )}
            {j.requeued_from != null && (
              <>
                <dt>Requeued from</dt>
                <dd className="mono">{j.requeued_from}</dd>
              </>
            )}
            <dt>Tags</dt>
            <dd>
              {tags.length === 0 ? (
                '—'
              ) : (
                <ul className="tags">
                  {tags.map(([k, v]) => (
                    <li key={k} className="tag">
                      {k}: {v}
                    </li>
                  ))}
                </ul>
              )}
            </dd>
            <dt>Trace</dt>
            <dd className="mono">
              {j.trace_id == null ? (
                '—'
              ) : trace === null ? (
                j.trace_id
              ) : (
                <a href={trace} target="_blank" rel="noreferrer">
                  {j.trace_id}
                </a>
              )}
            </dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="data-title">
          <h2 id="data-title">Payload</h2>
          <Json value={j.payload ?? {}} label="Payload" />
          {j.error_message != null && (
            <>
              <h2>Error</h2>
              <pre className="json error-text">{j.error_message}</pre>
            </>
          )}
          <h2>Result</h2>
          {j.result == null ? <p className="muted">No result stored.</p> : <Json value={j.result} label="Result" />}
        </section>
      </div>
      <section className="card" aria-labelledby="attempts-title">
        <h2 id="attempts-title">Attempts</h2>
        <Attempts id={id} />
      </section>
    </>
  );
}
