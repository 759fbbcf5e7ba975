import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { keys } from '../api/queries';
import { QUEUES, type Job, type QueueName } from '../api/types';
import { Dialog } from '../components/Dialog';
import { ErrorAlert } from '../components/States';
import { defaultEnqueueForm, enqueueRequestOf, parseBatch, type EnqueueForm } from './enqueue';

const BATCH_EXAMPLE = '[\n  {"type": "echo", "payload": {"n": 1}},\n  {"type": "sleep", "payload": {"ms": 500}, "queue_name": "bulk"}\n]';

/** One job from a form, or a batch (POST /api/v1/jobs/batch, all or nothing) from a JSON array. */
export function EnqueueDialog({ onClose, onEnqueued }: { onClose: () => void; onEnqueued: (count: number) => void }) {
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<'single' | 'batch'>('single');
  const [form, setForm] = useState<EnqueueForm>(defaultEnqueueForm);
  const [batch, setBatch] = useState(BATCH_EXAMPLE);
  const set = (field: keyof EnqueueForm) => (event: { target: { value: string } }) => setForm({ ...form, [field]: event.target.value });

  const enqueue = useMutation({
    mutationFn: async (): Promise<number> => {
      if (mode === 'single') {
        const parsed = enqueueRequestOf(form, Date.now());
        if (!parsed.ok) {
          throw new Error(parsed.error);
        }
        await api<Job>({ method: 'POST', path: '/api/v1/jobs', body: parsed.value });
        return 1;
      }
      const parsed = parseBatch(batch);
      if (!parsed.ok) {
        throw new Error(parsed.error);
      }
      const { data } = await api<Job[]>({ method: 'POST', path: '/api/v1/jobs/batch', body: parsed.value });
      return Array.isArray(data) ? data.length : parsed.value.length;
    },
    onSuccess: (count) => {
      void queryClient.invalidateQueries({ queryKey: keys.jobLists });
      void queryClient.invalidateQueries({ queryKey: keys.stats });
      onEnqueued(count);
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    enqueue.mutate();
  };

  return (
    <Dialog title="Enqueue job" onClose={onClose} wide>
      <form className="form" onSubmit={submit} noValidate>
        <fieldset className="segmented">
          <legend className="visually-hidden">What to enqueue</legend>
          <label>
            <input type="radio" name="mode" checked={mode === 'single'} onChange={() => setMode('single')} />
            One job
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === 'batch'} onChange={() => setMode('batch')} />
            Batch of jobs
          </label>
        </fieldset>
        {mode === 'single' ? (
          <>
            <div className="form-row">
              <label className="field">
                <span>Type</span>
                <input required value={form.type} onChange={set('type')} placeholder="echo, sleep, http.request…" autoFocus />
              </label>
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
            </div>
            <div className="form-row">
              <label className="field">
                <span>Priority</span>
                <input type="number" min={1} max={10} value={form.priority} onChange={set('priority')} />
              </label>
              <label className="field">
                <span>Max attempts</span>
                <input type="number" min={1} max={100} value={form.maxAttempts} onChange={set('maxAttempts')} />
              </label>
              <label className="field">
                <span>Delay (seconds)</span>
                <input type="number" min={0} value={form.delaySeconds} onChange={set('delaySeconds')} placeholder="0" />
              </label>
            </div>
            <label className="field">
              <span>Payload (JSON)</span>
              <textarea className="code" rows={6} spellCheck={false} value={form.payload} onChange={set('payload')} />
            </label>
            <label className="field">
              <span>Tags</span>
              <input value={form.tags} onChange={set('tags')} placeholder="team:billing, env:prod" />
            </label>
          </>
        ) : (
          <label className="field">
            <span>Jobs (JSON array, up to 500)</span>
            <textarea className="code" rows={12} spellCheck={false} value={batch} onChange={(e) => setBatch(e.target.value)} />
            <small className="hint">Each item is an enqueue request; one invalid item rejects the whole batch.</small>
          </label>
        )}
        {enqueue.isError && <ErrorAlert error={enqueue.error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={enqueue.isPending}>
            Enqueue
          </button>
        </div>
      </form>
    </Dialog>
  );
}
