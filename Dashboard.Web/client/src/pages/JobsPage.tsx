import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';
import { api } from '../api/client';
import { fetchJobPage, keys } from '../api/queries';
import { JOB_STATUSES, QUEUES, type Job, type JobStatus, type QueueName } from '../api/types';
import { toggled } from '../components/toggled';
import { Dialog } from '../components/Dialog';
import { formatAge, formatDateTime, formatNumber, shortId } from '../components/format';
import { Empty, ErrorAlert, Loading, Notice } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';
import { useNow } from '../components/useNow';
import { runBulk, summarizeBulk } from '../jobs/bulk';
import { EnqueueDialog } from '../jobs/EnqueueDialog';
import { filtersFromSearch, hasFilters, searchFromFilters, type JobFilters } from '../jobs/filters';

const PAGE_SIZE = 50;
const CANCELLABLE = new Set<JobStatus>(['pending', 'running']);
const RETRYABLE = new Set<JobStatus>(['failed', 'dead']);

/** The cursors of the pages before this one, carried in the history entry so Previous walks back the same way. */
interface PagingState {
  previous: Array<string | null>;
}

function pagingOf(state: unknown): PagingState {
  const previous = (state as Partial<PagingState> | null)?.previous;
  return { previous: Array.isArray(previous) ? previous : [] };
}

function FilterBar({ filters, onApply }: { filters: JobFilters; onApply: (filters: JobFilters) => void }) {
  const [draft, setDraft] = useState(filters);
  const [lastApplied, setLastApplied] = useState(filters);
  if (lastApplied !== filters) {
    // The URL changed under us (Back, a link from the overview): show what is applied.
    setLastApplied(filters);
    setDraft(filters);
  }
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft);
  };
  return (
    <form className="filters" onSubmit={submit} aria-label="Filters">
      <label className="field">
        <span>Status</span>
        <select value={draft.status ?? ''} onChange={(e) => setDraft({ ...draft, status: (e.target.value || null) as JobStatus | null })}>
          <option value="">Any</option>
          {JOB_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Type</span>
        <input value={draft.type} onChange={(e) => setDraft({ ...draft, type: e.target.value })} placeholder="any" />
      </label>
      <label className="field">
        <span>Queue</span>
        <select value={draft.queue ?? ''} onChange={(e) => setDraft({ ...draft, queue: (e.target.value || null) as QueueName | null })}>
          <option value="">Any</option>
          {QUEUES.map((q) => (
            <option key={q} value={q}>
              {q}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Tags</span>
        <input value={draft.tags} onChange={(e) => setDraft({ ...draft, tags: e.target.value })} placeholder="team:a,env:prod" />
      </label>
      <div className="filter-actions">
        <button type="submit" className="button">
          Apply filters
        </button>
        {hasFilters(filters) && (
          <button type="button" className="button button-ghost" onClick={() => onApply({ status: null, type: '', queue: null, tags: '' })}>
            Clear
          </button>
        )}
      </div>
    </form>
  );
}

function JobLookup() {
  const navigate = useNavigate();
  const [id, setId] = useState('');
  return (
    <form
      className="lookup"
      onSubmit={(e) => {
        e.preventDefault();
        if (id.trim() !== '') {
          void navigate(`/jobs/${encodeURIComponent(id.trim())}`);
        }
      }}
    >
      <label className="field">
        <span>Job id</span>
        <input value={id} onChange={(e) => setId(e.target.value)} placeholder="0194…" className="mono" spellCheck={false} />
      </label>
      <button type="submit" className="button">
        Open
      </button>
    </form>
  );
}

const PURGE_AGES: ReadonlyArray<{ label: string; ms: number }> = [
  { label: 'more than 30 days ago', ms: 30 * 86_400_000 },
  { label: 'more than 7 days ago', ms: 7 * 86_400_000 },
  { label: 'more than 1 day ago', ms: 86_400_000 },
  { label: 'more than 1 hour ago', ms: 3_600_000 },
  { label: 'at any time (every ended job)', ms: 0 },
];

function PurgeDialog({ onClose, onPurged }: { onClose: () => void; onPurged: (deleted: number) => void }) {
  const [age, setAge] = useState(0);
  const purge = useMutation({
    mutationFn: async () => {
      const choice = PURGE_AGES[age] ?? PURGE_AGES[0]!;
      const before = new Date(Date.now() - choice.ms).toISOString();
      const { data } = await api<{ deleted?: number }>({ method: 'DELETE', path: '/api/v1/jobs', query: { before } });
      return data?.deleted ?? 0;
    },
    onSuccess: onPurged,
  });
  return (
    <Dialog title="Purge ended jobs" onClose={onClose}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          purge.mutate();
        }}
      >
        <p>
          Deletes completed, dead and cancelled jobs for good, with their results. Waiting and running jobs are kept. This
          cannot be undone.
        </p>
        <label className="field">
          <span>Ended</span>
          <select value={age} onChange={(e) => setAge(Number(e.target.value))}>
            {PURGE_AGES.map((a, i) => (
              <option key={a.label} value={i}>
                {a.label}
              </option>
            ))}
          </select>
        </label>
        {purge.isError && <ErrorAlert error={purge.error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Keep them
          </button>
          <button type="submit" className="button button-danger" disabled={purge.isPending}>
            Purge
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function JobRow({ job, admin, selected, onToggle, now }: { job: Job; admin: boolean; selected: boolean; onToggle: () => void; now: number }) {
  const id = job.id ?? '';
  return (
    <tr data-job-id={id} className={selected ? 'selected' : undefined}>
      <td className="check">
        <input type="checkbox" checked={selected} onChange={onToggle} aria-label={`Select job ${id}`} />
      </td>
      <td>
        <Link to={`/jobs/${id}`} className="mono" title={id}>
          {shortId(id)}
        </Link>
      </td>
      <td className="truncate" title={job.type}>
        {job.type}
      </td>
      <td>{job.queue_name}</td>
      <td>
        <StatusBadge status={job.status ?? 'unknown'} />
      </td>
      <td className="num">{job.priority}</td>
      <td className="num">
        {job.attempts}/{job.max_attempts}
      </td>
      <td title={formatDateTime(job.created_at)}>{formatAge(job.created_at, now)}</td>
      {admin && (
        <td className="mono truncate" title={job.tenant}>
          {job.tenant ?? '—'}
        </td>
      )}
    </tr>
  );
}

export function JobsPage({ admin }: { admin: boolean }) {
  const [search] = useSearchParams();
  const location = useLocation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const now = useNow(5000);
  const filters = filtersFromSearch(search);
  const cursor = search.get('cursor');
  const paging = pagingOf(location.state);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [dialog, setDialog] = useState<'enqueue' | 'purge' | null>(null);
  const [outcome, setOutcome] = useState<{ text: string; failed: boolean } | null>(null);

  const page = useQuery({
    queryKey: keys.jobList(filters, cursor, PAGE_SIZE),
    queryFn: ({ signal }) => fetchJobPage(filters, cursor, PAGE_SIZE, signal),
    placeholderData: keepPreviousData,
  });
  const jobs = page.data?.items ?? [];
  const visibleIds = new Set(jobs.map((j) => j.id ?? ''));
  const chosen = [...selected].filter((id) => visibleIds.has(id));
  const chosenJobs = jobs.filter((j) => j.id !== undefined && selected.has(j.id));

  const goTo = (nextCursor: string | null, previous: Array<string | null>, nextFilters: JobFilters = filters) => {
    setSelected(new Set());
    void navigate({ search: searchFromFilters(nextFilters, nextCursor).toString() }, { state: { previous } satisfies PagingState });
  };

  const bulk = useMutation({
    mutationFn: async (kind: 'cancel' | 'retry') => {
      const result = await runBulk(chosen, (id) =>
        kind === 'cancel'
          ? api({ method: 'DELETE', path: '/api/v1/jobs/{id}', params: { id } })
          : api({ method: 'POST', path: '/api/v1/jobs/{id}/retry', params: { id } }),
      );
      return { kind, result };
    },
    onSuccess: ({ kind, result }) => {
      setOutcome({ text: summarizeBulk(kind === 'cancel' ? 'cancelled' : 'retried', result), failed: result.failures.length > 0 });
      setSelected(new Set());
      void queryClient.invalidateQueries({ queryKey: keys.jobLists });
      void queryClient.invalidateQueries({ queryKey: keys.stats });
    },
  });

  const toggle = (id: string) => setSelected(toggled(selected, id));
  const allChosen = jobs.length > 0 && chosen.length === jobs.length;

  return (
    <>
      <div className="page-header">
        <h1>Jobs</h1>
        <div className="actions">
          <button type="button" className="button" onClick={() => setDialog('purge')}>
            Purge…
          </button>
          <button type="button" className="button button-primary" onClick={() => setDialog('enqueue')}>
            Enqueue job
          </button>
        </div>
      </div>
      <div className="toolbar">
        <FilterBar filters={filters} onApply={(f) => goTo(null, [], f)} />
        <JobLookup />
      </div>
      {outcome !== null &&
        (outcome.failed ? <ErrorAlert error={outcome.text} /> : <Notice>{outcome.text}</Notice>)}
      {chosen.length > 0 && (
        <div className="bulk-bar" role="region" aria-label="Selected jobs">
          <span>{chosen.length} selected</span>
          <button
            type="button"
            className="button"
            disabled={bulk.isPending || !chosenJobs.some((j) => j.status !== undefined && CANCELLABLE.has(j.status))}
            onClick={() => bulk.mutate('cancel')}
          >
            Cancel selected
          </button>
          <button
            type="button"
            className="button"
            disabled={bulk.isPending || !chosenJobs.some((j) => j.status !== undefined && RETRYABLE.has(j.status))}
            onClick={() => bulk.mutate('retry')}
          >
            Retry selected
          </button>
          <button type="button" className="button button-ghost" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
          {bulk.isPending && <span role="status">Working…</span>}
        </div>
      )}
      {page.isPending ? (
        <Loading />
      ) : page.isError ? (
        <ErrorAlert error={page.error} />
      ) : jobs.length === 0 ? (
        <Empty>{hasFilters(filters) ? 'No jobs match these filters.' : 'No jobs yet. Enqueue one to see it move through its states here.'}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="jobs-table">
            <thead>
              <tr>
                <th scope="col" className="check">
                  <input
                    type="checkbox"
                    aria-label="Select every job on this page"
                    checked={allChosen}
                    onChange={() => setSelected(allChosen ? new Set() : new Set(jobs.map((j) => j.id ?? '')))}
                  />
                </th>
                <th scope="col">ID</th>
                <th scope="col">Type</th>
                <th scope="col">Queue</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">Priority</th>
                <th scope="col" className="num">Attempts</th>
                <th scope="col">Created</th>
                {admin && <th scope="col">Tenant</th>}
              </tr>
            </thead>
            <tbody>
              {jobs.map((job) => (
                <JobRow
                  key={job.id}
                  job={job}
                  admin={admin}
                  now={now}
                  selected={job.id !== undefined && selected.has(job.id)}
                  onToggle={() => toggle(job.id ?? '')}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="pager">
        <button
          type="button"
          className="button"
          disabled={cursor === null}
          onClick={() => goTo(paging.previous.at(-1) ?? null, paging.previous.slice(0, -1))}
        >
          Previous
        </button>
        <span className="muted small">
          {formatNumber(jobs.length)} on this page{page.isFetching && !page.isPending ? ' · refreshing' : ''}
        </span>
        <button
          type="button"
          className="button"
          disabled={!page.data?.has_more || page.data.next_cursor == null}
          onClick={() => goTo(page.data?.next_cursor ?? null, [...paging.previous, cursor])}
        >
          Next
        </button>
      </div>
      {dialog === 'enqueue' && (
        <EnqueueDialog
          onClose={() => setDialog(null)}
          onEnqueued={(count) => {
            setDialog(null);
            setOutcome({ text: count === 1 ? 'Job enqueued.' : `${count} jobs enqueued.`, failed: false });
          }}
        />
      )}
      {dialog === 'purge' && (
        <PurgeDialog
          onClose={() => setDialog(null)}
          onPurged={(deleted) => {
            setDialog(null);
            setOutcome({ text: `${formatNumber(deleted)} ended jobs purged.`, failed: false });
            void queryClient.invalidateQueries({ queryKey: keys.jobLists });
            void queryClient.invalidateQueries({ queryKey: keys.stats });
          }}
        />
      )}
    </>
  );
}
