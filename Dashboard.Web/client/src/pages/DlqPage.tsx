import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import { keys } from '../api/queries';
import type { DlqEntry } from '../api/types';
import { toggled } from '../components/toggled';
import { formatDateTime, formatNumber, shortId } from '../components/format';
import { Empty, ErrorAlert, Loading, Notice } from '../components/States';
import { runBulk, summarizeBulk } from '../jobs/bulk';

const PAGE_SIZE = 50;

export function DlqPage() {
  const queryClient = useQueryClient();
  const [includeRequeued, setIncludeRequeued] = useState(false);
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [outcome, setOutcome] = useState<{ text: string; failed: boolean } | null>(null);

  const entries = useQuery({
    queryKey: keys.dlq(includeRequeued, offset),
    queryFn: ({ signal }) =>
      api<DlqEntry[]>({ path: '/api/v1/dlq', query: { include_requeued: includeRequeued, limit: PAGE_SIZE, offset }, signal }),
    placeholderData: keepPreviousData,
  });

  const afterRequeue = () => {
    setSelected(new Set());
    void queryClient.invalidateQueries({ queryKey: ['dlq'] });
    void queryClient.invalidateQueries({ queryKey: keys.jobLists });
    void queryClient.invalidateQueries({ queryKey: keys.stats });
  };
  const requeue = useMutation({
    mutationFn: (ids: string[]) => runBulk(ids, (id) => api({ method: 'POST', path: '/api/v1/dlq/{id}/requeue', params: { id } })),
    onSuccess: (result) => {
      setOutcome({ text: summarizeBulk('requeued', result), failed: result.failures.length > 0 });
      afterRequeue();
    },
  });

  const list = entries.data?.data ?? [];
  const meta = entries.data?.meta;
  const waiting = list.filter((e) => !e.requeued && e.id !== undefined);
  const chosen = waiting.filter((e) => selected.has(e.id ?? '')).map((e) => e.id ?? '');
  const toggle = (id: string) => setSelected(toggled(selected, id));

  return (
    <>
      <div className="page-header">
        <h1>Dead letters</h1>
        <label className="toggle">
          <input
            type="checkbox"
            checked={includeRequeued}
            onChange={(e) => {
              setIncludeRequeued(e.target.checked);
              setOffset(0);
            }}
          />
          Include requeued
        </label>
      </div>
      <p className="muted">
        Jobs that failed every attempt. Requeueing makes a fresh job with the same type and payload; the entry stays, marked
        requeued.
      </p>
      {outcome !== null && (outcome.failed ? <ErrorAlert error={outcome.text} /> : <Notice>{outcome.text}</Notice>)}
      {chosen.length > 0 && (
        <div className="bulk-bar" role="region" aria-label="Selected entries">
          <span>{chosen.length} selected</span>
          <button type="button" className="button button-primary" disabled={requeue.isPending} onClick={() => requeue.mutate(chosen)}>
            Requeue selected
          </button>
          <button type="button" className="button button-ghost" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        </div>
      )}
      {entries.isPending ? (
        <Loading />
      ) : entries.isError ? (
        <ErrorAlert error={entries.error} />
      ) : list.length === 0 ? (
        <Empty>{includeRequeued ? 'The dead-letter queue has never held a job.' : 'No dead jobs waiting. Nice.'}</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col" className="check">
                  <input
                    type="checkbox"
                    aria-label="Select every waiting entry on this page"
                    checked={waiting.length > 0 && chosen.length === waiting.length}
                    onChange={() => setSelected(chosen.length === waiting.length ? new Set() : new Set(waiting.map((e) => e.id ?? '')))}
                  />
                </th>
                <th scope="col">Job</th>
                <th scope="col">Type</th>
                <th scope="col">Queue</th>
                <th scope="col" className="num">Attempts</th>
                <th scope="col">Last error</th>
                <th scope="col">Died</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((entry) => (
                <tr key={entry.id} data-job-id={entry.job_id} data-dlq-id={entry.id}>
                  <td className="check">
                    {!entry.requeued && (
                      <input
                        type="checkbox"
                        aria-label={`Select entry of job ${entry.job_id}`}
                        checked={selected.has(entry.id ?? '')}
                        onChange={() => toggle(entry.id ?? '')}
                      />
                    )}
                  </td>
                  <td>
                    <Link to={`/jobs/${entry.job_id}`} className="mono" title={entry.job_id}>
                      {shortId(entry.job_id)}
                    </Link>
                  </td>
                  <td>{entry.type}</td>
                  <td>{entry.queue_name}</td>
                  <td className="num">
                    {entry.total_attempts}/{entry.max_attempts}
                  </td>
                  <td className="error-text truncate" title={entry.last_error ?? ''}>
                    {entry.last_error ?? '—'}
                  </td>
                  <td>{formatDateTime(entry.died_at)}</td>
                  <td className="row-actions">
                    {entry.requeued ? (
                      <span className="muted">
                        requeued{' '}
                        {entry.new_job_id != null && (
                          <Link to={`/jobs/${entry.new_job_id}`} className="mono">
                            → {shortId(entry.new_job_id)}
                          </Link>
                        )}
                      </span>
                    ) : (
                      <button
                        type="button"
                        className="button button-small"
                        disabled={requeue.isPending}
                        onClick={() => requeue.mutate([entry.id ?? ''])}
                      >
                        Requeue
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="pager">
        <button type="button" className="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
          Previous
        </button>
        <span className="muted small">
          {meta?.total_count !== undefined ? `${formatNumber(meta.total_count)} entries` : `${list.length} on this page`}
        </span>
        <button type="button" className="button" disabled={!meta?.has_more} onClick={() => setOffset(offset + PAGE_SIZE)}>
          Next
        </button>
      </div>
    </>
  );
}
