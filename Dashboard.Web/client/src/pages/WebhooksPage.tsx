import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, apiData } from '../api/client';
import { keys } from '../api/queries';
import { WEBHOOK_EVENTS, type Webhook, type WebhookDelivery, type WebhookEventName, type WebhookRequest } from '../api/types';
import { toggled } from '../components/toggled';
import { DeleteDialog } from '../components/DeleteDialog';
import { CopyButton } from '../components/CopyButton';
import { Dialog } from '../components/Dialog';
import { formatDateTime, formatNumber, shortId } from '../components/format';
import { Empty, ErrorAlert, Loading, Notice } from '../components/States';
import { StatusBadge } from '../components/StatusBadge';

function NewWebhookDialog({ onClose }: { onClose: () => void }) {
  const queryClient = useQueryClient();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<ReadonlySet<WebhookEventName>>(new Set());
  const [secret, setSecret] = useState('');
  const create = useMutation({
    mutationFn: () => {
      const body: WebhookRequest = { url: url.trim(), events: WEBHOOK_EVENTS.filter((e) => events.has(e)) };
      if (description.trim() !== '') {
        body.description = description.trim();
      }
      if (secret !== '') {
        body.secret = secret;
      }
      return apiData<Webhook>({ method: 'POST', path: '/api/v1/webhooks', body });
    },
    onSuccess: (created) => {
      void queryClient.invalidateQueries({ queryKey: keys.webhooks });
      if (created.secret === undefined) {
        onClose();
      }
    },
  });

  if (create.data?.secret !== undefined) {
    return (
      <Dialog title="Signing secret" onClose={onClose}>
        <p>
          Every delivery to <code>{create.data.url}</code> is signed with this secret (<code>X-Webhook-Signature</code>). It is
          shown <strong>only this once</strong>.
        </p>
        <div className="secret">
          <code data-testid="webhook-secret">{create.data.secret}</code>
          <CopyButton text={create.data.secret} />
        </div>
        <div className="dialog-actions">
          <button type="button" className="button button-primary" onClick={onClose}>
            Done
          </button>
        </div>
      </Dialog>
    );
  }

  const toggle = (event: WebhookEventName) => setEvents(toggled(events, event));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <Dialog title="New webhook" onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <label className="field">
          <span>URL</span>
          <input type="url" required value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/hooks/jobqueue" autoFocus />
        </label>
        <label className="field">
          <span>Description</span>
          <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={500} />
        </label>
        <fieldset className="checkboxes">
          <legend>Events (none checked: job.completed, job.failed and job.dead)</legend>
          {WEBHOOK_EVENTS.map((event) => (
            <label key={event} className="checkbox">
              <input type="checkbox" checked={events.has(event)} onChange={() => toggle(event)} />
              {event}
            </label>
          ))}
        </fieldset>
        <label className="field">
          <span>Signing secret (optional)</span>
          <input value={secret} onChange={(e) => setSecret(e.target.value)} minLength={16} maxLength={256} placeholder="generated when empty" autoComplete="off" />
        </label>
        {create.isError && <ErrorAlert error={create.error} />}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={create.isPending}>
            Create
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function Deliveries({ webhook }: { webhook: Webhook }) {
  const id = webhook.id ?? '';
  const deliveries = useQuery({
    queryKey: keys.deliveries(id),
    queryFn: ({ signal }) => apiData<WebhookDelivery[]>({ path: '/api/v1/webhooks/{id}/deliveries', params: { id }, query: { limit: 20 }, signal }),
    // Attempts land while the log is open: a test delivery or a retry in flight.
    refetchInterval: 2000,
  });
  return (
    <section className="card deliveries" aria-label={`Deliveries to ${webhook.url}`}>
      <h2>Deliveries</h2>
      <p className="muted small">{webhook.url} — newest first, each attempt on its own row</p>
      {deliveries.isPending ? (
        <Loading />
      ) : deliveries.isError ? (
        <ErrorAlert error={deliveries.error} />
      ) : (deliveries.data ?? []).length === 0 ? (
        <p className="muted">No deliveries yet. Send a test, or wait for a subscribed job event.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Job</th>
                <th scope="col">Delivery</th>
                <th scope="col" className="num">Attempt</th>
                <th scope="col">Sent</th>
                <th scope="col" className="num">Status code</th>
                <th scope="col" className="num">Latency</th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {(deliveries.data ?? []).map((d) => {
                const attempts = d.attempt_log ?? [];
                const head = (
                  <>
                    <td>{d.event}</td>
                    <td>
                      {d.job_id != null ? (
                        <Link to={`/jobs/${d.job_id}`} className="mono">
                          {shortId(d.job_id)}
                        </Link>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td>
                      <StatusBadge status={d.status ?? 'pending'} />
                    </td>
                  </>
                );
                if (attempts.length === 0) {
                  return (
                    <tr key={d.id} data-delivery-id={d.id}>
                      {head}
                      <td className="num">—</td>
                      <td colSpan={4} className="muted">
                        {d.next_attempt_at != null ? `first attempt at ${formatDateTime(d.next_attempt_at)}` : 'waiting for a dispatcher'}
                      </td>
                    </tr>
                  );
                }
                return (
                  <Fragment key={d.id}>
                    {attempts.map((a) => (
                      <tr key={`${d.id}-${a.attempt}`} data-delivery-id={d.id} data-delivery-attempt={a.attempt}>
                        {head}
                        <td className="num">{a.attempt}</td>
                        <td>{formatDateTime(a.started_at)}</td>
                        <td className="num">
                          <span className={a.succeeded ? 'code-ok' : 'code-bad'}>{a.status_code ?? 'no answer'}</span>
                        </td>
                        <td className="num">{a.latency_ms !== undefined ? `${formatNumber(a.latency_ms)} ms` : '—'}</td>
                        <td className="error-text">{a.error ?? ''}</td>
                      </tr>
                    ))}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function DeleteWebhookDialog({ webhook, onClose, onDeleted }: { webhook: Webhook; onClose: () => void; onDeleted: () => void }) {
  return (
    <DeleteDialog
      title="Delete webhook"
      remove={() => api({ method: 'DELETE', path: '/api/v1/webhooks/{id}', params: { id: webhook.id ?? '' } })}
      invalidates={keys.webhooks}
      onClose={onClose}
      onDeleted={onDeleted}
    >
      Delete the subscription of <code>{webhook.url}</code> and its delivery log? Waiting deliveries are dropped.
    </DeleteDialog>
  );
}

export function WebhooksPage() {
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const hooks = useQuery({ queryKey: keys.webhooks, queryFn: ({ signal }) => apiData<Webhook[]>({ path: '/api/v1/webhooks', signal }) });
  const update = useMutation({
    mutationFn: (hook: Webhook) =>
      apiData<Webhook>({ method: 'PATCH', path: '/api/v1/webhooks/{id}', params: { id: hook.id ?? '' }, body: { enabled: !hook.enabled } }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.webhooks }),
  });
  const test = useMutation({
    mutationFn: (hook: Webhook) => api({ method: 'POST', path: '/api/v1/webhooks/{id}/test', params: { id: hook.id ?? '' } }),
    onSuccess: (_, hook) => {
      setNotice(`A signed webhook.test delivery to ${hook.url} is queued.`);
      void queryClient.invalidateQueries({ queryKey: keys.deliveries(hook.id ?? '') });
    },
  });
  const list = hooks.data ?? [];
  const shown = list.find((h) => h.id === open) ?? null;
  return (
    <>
      <div className="page-header">
        <h1>Webhooks</h1>
        <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
          New webhook
        </button>
      </div>
      {notice !== null && <Notice>{notice}</Notice>}
      {update.isError && <ErrorAlert error={update.error} />}
      {test.isError && <ErrorAlert error={test.error} />}
      {hooks.isPending ? (
        <Loading />
      ) : hooks.isError ? (
        <ErrorAlert error={hooks.error} />
      ) : list.length === 0 ? (
        <Empty>No webhooks. Subscribe a URL and JobQueue POSTs it each chosen job event, signed and retried.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((h) => (
                <tr key={h.id} data-webhook-id={h.id} className={h.id === open ? 'selected' : undefined}>
                  <td>
                    <div className="mono truncate" title={h.url}>
                      {h.url}
                    </div>
                    {h.description != null && h.description !== '' && <div className="muted small">{h.description}</div>}
                  </td>
                  <td>{(h.events ?? []).length === 0 ? 'every job event' : (h.events ?? []).join(', ')}</td>
                  <td>
                    <span className={h.enabled ? 'badge badge-success' : 'badge badge-muted'}>{h.enabled ? 'Enabled' : 'Disabled'}</span>
                    {h.disabled_reason != null && <div className="muted small">{h.disabled_reason}</div>}
                    {(h.consecutive_failures ?? 0) > 0 && <div className="muted small">{h.consecutive_failures} given up in a row</div>}
                  </td>
                  <td>{formatDateTime(h.created_at)}</td>
                  <td className="row-actions">
                    <button type="button" className="button button-small" disabled={test.isPending} onClick={() => test.mutate(h)}>
                      Send test
                    </button>
                    <button
                      type="button"
                      className="button button-small"
                      aria-expanded={h.id === open}
                      onClick={() => setOpen(h.id === open ? null : (h.id ?? null))}
                    >
                      Deliveries
                    </button>
                    <button type="button" className="button button-small" disabled={update.isPending} onClick={() => update.mutate(h)}>
                      {h.enabled ? 'Disable' : 'Enable'}
                    </button>
                    <button type="button" className="button button-small button-danger-ghost" onClick={() => setDeleting(h)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {shown !== null && <Deliveries webhook={shown} />}
      {creating && <NewWebhookDialog onClose={() => setCreating(false)} />}
      {deleting !== null && (
        <DeleteWebhookDialog
          webhook={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            if (deleting.id === open) {
              setOpen(null);
            }
            setDeleting(null);
          }}
        />
      )}
    </>
  );
}
