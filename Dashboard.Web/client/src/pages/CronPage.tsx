import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, apiData } from '../api/client';
import { keys } from '../api/queries';
import type { CronSchedule } from '../api/types';
import { CronDialog } from '../cron/CronDialog';
import { formatRun, previewCron } from '../cron/cronText';
import { DeleteDialog } from '../components/DeleteDialog';
import { formatDateTime } from '../components/format';
import { Empty, ErrorAlert, Loading } from '../components/States';

function NextRuns({ schedule, now }: { schedule: CronSchedule; now: Date }) {
  const zone = schedule.timezone ?? 'UTC';
  const preview = previewCron(schedule.cron_expression ?? '', zone, now);
  if (!preview.ok) {
    return <span className="muted">{preview.error}</span>;
  }
  return (
    <details className="next-runs-details">
      <summary>{preview.description}</summary>
      <ol aria-label={`Next runs of ${schedule.name}`} className="next-runs">
        {preview.nextRuns.map((run) => (
          <li key={run.getTime()}>{formatRun(run, zone, preview.hasSeconds)}</li>
        ))}
      </ol>
    </details>
  );
}

function DeleteScheduleDialog({ schedule, onClose }: { schedule: CronSchedule; onClose: () => void }) {
  return (
    <DeleteDialog
      title="Delete schedule"
      remove={() => api({ method: 'DELETE', path: '/api/v1/cron/{id}', params: { id: schedule.id ?? '' } })}
      invalidates={keys.cron}
      onClose={onClose}
    >
      Delete <strong>{schedule.name}</strong>? It fires no more jobs; the jobs it already fired stay.
    </DeleteDialog>
  );
}

export function CronPage() {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<CronSchedule | 'new' | null>(null);
  const [deleting, setDeleting] = useState<CronSchedule | null>(null);
  const [now] = useState(() => new Date());
  const schedules = useQuery({
    queryKey: keys.cron,
    queryFn: ({ signal }) => apiData<CronSchedule[]>({ path: '/api/v1/cron', signal }),
    // next_run_at and last_run_at move as the scheduler fires.
    refetchInterval: 10_000,
  });
  const toggle = useMutation({
    mutationFn: (schedule: CronSchedule) =>
      api<CronSchedule>({ method: 'PATCH', path: '/api/v1/cron/{id}', params: { id: schedule.id ?? '' }, body: { enabled: !schedule.enabled } }),
    onSuccess: ({ data }) => {
      queryClient.setQueryData<CronSchedule[]>(keys.cron, (list) => list?.map((s) => (s.id === data.id ? data : s)));
      void queryClient.invalidateQueries({ queryKey: keys.cron });
    },
  });
  const list = schedules.data ?? [];
  return (
    <>
      <div className="page-header">
        <h1>Cron</h1>
        <button type="button" className="button button-primary" onClick={() => setEditing('new')}>
          New schedule
        </button>
      </div>
      {toggle.isError && <ErrorAlert error={toggle.error} />}
      {schedules.isPending ? (
        <Loading />
      ) : schedules.isError ? (
        <ErrorAlert error={schedules.error} />
      ) : list.length === 0 ? (
        <Empty>No schedules. A schedule enqueues a job at every tick of a cron expression, in the time zone you choose.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Expression</th>
                <th scope="col">Job type</th>
                <th scope="col">Status</th>
                <th scope="col">Next run</th>
                <th scope="col">Last run</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((s) => (
                <tr key={s.id} data-cron-name={s.name} data-cron-id={s.id}>
                  <td>
                    <Link to={`/jobs?tags=${encodeURIComponent(`cron:${s.name ?? ''}`)}`} title="The jobs this schedule fired">
                      {s.name}
                    </Link>
                  </td>
                  <td>
                    <code>{s.cron_expression}</code> <span className="muted small">{s.timezone}</span>
                    <NextRuns schedule={s} now={now} />
                  </td>
                  <td>{s.job_type}</td>
                  <td>
                    <span className={s.enabled ? 'badge badge-success' : 'badge badge-muted'}>{s.enabled ? 'Active' : 'Paused'}</span>
                  </td>
                  <td>{s.enabled ? formatDateTime(s.next_run_at) : '—'}</td>
                  <td>{formatDateTime(s.last_run_at)}</td>
                  <td className="row-actions">
                    <button type="button" className="button button-small" disabled={toggle.isPending} onClick={() => toggle.mutate(s)}>
                      {s.enabled ? 'Pause' : 'Resume'}
                    </button>
                    <button type="button" className="button button-small" onClick={() => setEditing(s)}>
                      Edit
                    </button>
                    <button type="button" className="button button-small button-danger-ghost" onClick={() => setDeleting(s)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editing !== null && <CronDialog schedule={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
      {deleting !== null && <DeleteScheduleDialog schedule={deleting} onClose={() => setDeleting(null)} />}
    </>
  );
}
