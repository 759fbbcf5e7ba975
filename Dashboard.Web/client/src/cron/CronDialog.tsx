import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { keys } from '../api/queries';
import { QUEUES, type CronCreateRequest, type CronPatchRequest, type CronSchedule, type QueueName } from '../api/types';
import { Dialog } from '../components/Dialog';
import { ErrorAlert } from '../components/States';
import { parseJsonObject } from '../jobs/enqueue';
import { parseTags } from '../jobs/filters';
import { CronPreviewPanel } from './CronPreview';

interface CronForm {
  name: string;
  expression: string;
  timezone: string;
  jobType: string;
  queue: QueueName;
  priority: string;
  maxAttempts: string;
  payload: string;
  tags: string;
}

function formOf(schedule: CronSchedule | null): CronForm {
  return {
    name: schedule?.name ?? '',
    expression: schedule?.cron_expression ?? '',
    timezone: schedule?.timezone ?? 'UTC',
    jobType: schedule?.job_type ?? '',
    queue: schedule?.queue_name ?? 'default',
    priority: String(schedule?.priority ?? 5),
    maxAttempts: String(schedule?.max_attempts ?? 5),
    payload: JSON.stringify(schedule?.payload ?? {}, null, 2),
    tags: Object.entries(schedule?.tags ?? {})
      .map(([k, v]) => `${k}:${v}`)
      .join(', '),
  };
}

function wholeNumber(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

const zones: readonly string[] = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];

/**
 * Create a schedule, or edit one. PATCH /api/v1/cron/{id} takes no job_type or tags (openapi CronPatchRequest), so
 * those show but cannot be changed when editing.
 */
export function CronDialog({ schedule, onClose }: { schedule: CronSchedule | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState(() => formOf(schedule));
  const [now] = useState(() => new Date());
  const editing = schedule !== null;
  const set = (field: keyof CronForm) => (event: { target: { value: string } }) => setForm({ ...form, [field]: event.target.value });

  const save = useMutation({
    mutationFn: async () => {
      const payload = parseJsonObject(form.payload, 'Payload');
      if (!payload.ok) {
        throw new Error(payload.error);
      }
      const priority = wholeNumber(form.priority, 'Priority', 1, 10);
      const maxAttempts = wholeNumber(form.maxAttempts, 'Max attempts', 1, 100);
      const common = {
        name: form.name.trim(),
        cron_expression: form.expression.trim(),
        timezone: form.timezone.trim() || 'UTC',
        queue_name: form.queue,
        priority,
        max_attempts: maxAttempts,
        payload: payload.value,
      };
      if (editing) {
        const body: CronPatchRequest = common;
        return api<CronSchedule>({ method: 'PATCH', path: '/api/v1/cron/{id}', params: { id: schedule.id ?? '' }, body });
      }
      const tags = parseTags(form.tags);
      if ('error' in tags) {
        throw new Error(tags.error);
      }
      const body: CronCreateRequest = { ...common, job_type: form.jobType.trim() };
      if (Object.keys(tags.tags).length > 0) {
        body.tags = tags.tags;
      }
      return api<CronSchedule>({ method: 'POST', path: '/api/v1/cron', body });
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.cron });
      onClose();
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };

  return (
    <Dialog title={editing ? 'Edit schedule' : 'New schedule'} onClose={onClose} wide>
      <form className="form" onSubmit={submit} noValidate>
        <div className="form-row">
          <label className="field">
            <span>Name</span>
            <input required value={form.name} onChange={set('name')} placeholder="nightly-report" autoFocus />
          </label>
          <label className="field">
            <span>Job type</span>
            <input required value={form.jobType} onChange={set('jobType')} placeholder="report.build" disabled={editing} />
          </label>
        </div>
        <div className="form-row">
          <label className="field grow">
            <span>Expression</span>
            <input required className="mono" value={form.expression} onChange={set('expression')} placeholder="0 9 * * 1-5" spellCheck={false} />
          </label>
          <label className="field">
            <span>Time zone</span>
            <input value={form.timezone} onChange={set('timezone')} list="cron-zones" spellCheck={false} />
            <datalist id="cron-zones">
              {zones.map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
          </label>
        </div>
        <CronPreviewPanel expression={form.expression} timeZone={form.timezone} now={now} />
        <div className="form-row">
          <label className="field">
            <span>Queue</span>
            <select value={form.queue} onChange={(e) => setForm({ ...form, queue: e.target.value as QueueName })}>
              {QUEUES.map((q) => (
                <option key={q} value={q}>
                  {q}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Priority</span>
            <input type="number" min={1} max={10} value={form.priority} onChange={set('priority')} />
          </label>
          <label className="field">
            <span>Max attempts</span>
            <input type="number" min={1} max={100} value={form.maxAttempts} onChange={set('maxAttempts')} />
          </label>
        </div>
        <label className="field">
          <span>Payload (JSON)</span>
          <textarea className="code" rows={4} spellCheck={false} value={form.payload} onChange={set('payload')} />
        </label>
        <label className="field">
          <span>Tags</span>
          <input value={form.tags} onChange={set('tags')} placeholder="team:ops" disabled={editing} />
          {editing && <small className="hint">The job type and tags of a schedule cannot be changed; make a new one.</small>}
        </label>
        {save.isError && <ErrorAlert error={save.error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={save.isPending}>
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}
