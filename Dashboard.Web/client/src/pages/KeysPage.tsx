import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, apiData } from '../api/client';
import { keys } from '../api/queries';
import type { ApiKey, CreatedApiKey } from '../api/types';
import { useSession } from '../auth/session';
import { DeleteDialog } from '../components/DeleteDialog';
import { CopyButton } from '../components/CopyButton';
import { Dialog } from '../components/Dialog';
import { formatDateTime } from '../components/format';
import { Empty, ErrorAlert, Loading } from '../components/States';

function ShownOnce({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  return (
    <Dialog title="Your new API key" onClose={onDone}>
      <p>
        <strong>{created.name}</strong> is ready. Copy it now: it is shown <strong>only this once</strong> and only its digest is
        stored.
      </p>
      <div className="secret">
        <code data-testid="new-api-key">{created.key}</code>
        <CopyButton text={created.key ?? ''} />
      </div>
      {created.warning !== undefined && <p className="hint">{created.warning}</p>}
      <div className="dialog-actions">
        <button type="button" className="button button-primary" onClick={onDone}>
          Done
        </button>
      </div>
    </Dialog>
  );
}

function CreateKeyDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (key: CreatedApiKey) => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => apiData<CreatedApiKey>({ method: 'POST', path: '/api/v1/keys', body: { name: name.trim() || 'default' } }),
    onSuccess: (created) => {
      void queryClient.invalidateQueries({ queryKey: keys.apiKeys });
      onCreated(created);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <Dialog title="Create API key" onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <label className="field">
          <span>Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={100} placeholder="ci-deploys" autoFocus />
          <small className="hint">What uses it, so you know which key to delete later. Keys get the account's tier.</small>
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

function DeleteKeyDialog({ apiKey, onClose }: { apiKey: ApiKey; onClose: () => void }) {
  return (
    <DeleteDialog
      title="Delete API key"
      remove={() => api({ method: 'DELETE', path: '/api/v1/keys/{id}', params: { id: apiKey.id ?? '' } })}
      invalidates={keys.apiKeys}
      confirmLabel="Delete key"
      onClose={onClose}
    >
      Delete <strong>{apiKey.name}</strong> (<code>{apiKey.key_prefix}…</code>)? Every service refuses it at once; whatever
      still sends it gets 401.
    </DeleteDialog>
  );
}

/** POST /portal/regenerate-key takes a login token only: the account's primary key is replaced, the old one refused. */
function RegeneratePrimary({ onCreated }: { onCreated: (key: CreatedApiKey) => void }) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const regenerate = useMutation({
    mutationFn: () => apiData<CreatedApiKey>({ method: 'POST', path: '/portal/regenerate-key' }),
    onSuccess: (created) => {
      setConfirming(false);
      void queryClient.invalidateQueries({ queryKey: keys.apiKeys });
      onCreated(created);
    },
  });
  return (
    <>
      <button type="button" className="button" onClick={() => setConfirming(true)}>
        Regenerate primary key…
      </button>
      {confirming && (
        <Dialog title="Regenerate primary key" onClose={() => setConfirming(false)}>
          <p>The account's primary (oldest) key stops working now and a new one with the same name and tier replaces it.</p>
          {regenerate.isError && <ErrorAlert error={regenerate.error} />}
          <div className="dialog-actions">
            <button type="button" className="button" onClick={() => setConfirming(false)}>
              Keep it
            </button>
            <button type="button" className="button button-danger" disabled={regenerate.isPending} onClick={() => regenerate.mutate()}>
              Regenerate
            </button>
          </div>
        </Dialog>
      )}
    </>
  );
}

function KeyTable({ items, onDelete }: { items: ApiKey[]; onDelete: (key: ApiKey) => void }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Prefix</th>
            <th scope="col">Tier</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((k) => (
            <tr key={k.id} data-key-id={k.id}>
              <td>{k.name}</td>
              <td>
                <code>{k.key_prefix}…</code>
              </td>
              <td>{k.tier}</td>
              <td>
                <span className={k.enabled ? 'badge badge-success' : 'badge badge-muted'}>{k.enabled ? 'Enabled' : 'Disabled'}</span>
              </td>
              <td>{formatDateTime(k.created_at)}</td>
              <td className="row-actions">
                <button type="button" className="button button-small button-danger-ghost" onClick={() => onDelete(k)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function KeysPage() {
  const session = useSession();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [deleting, setDeleting] = useState<ApiKey | null>(null);
  const list = useQuery({ queryKey: keys.apiKeys, queryFn: ({ signal }) => apiData<ApiKey[]>({ path: '/api/v1/keys', signal }) });
  const active = (list.data ?? []).filter((k) => k.enabled !== false);
  const disabled = (list.data ?? []).filter((k) => k.enabled === false);
  return (
    <>
      <div className="page-header">
        <h1>API keys</h1>
        <div className="actions">
          {session?.kind === 'account' && <RegeneratePrimary onCreated={setCreated} />}
          <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
            Create key
          </button>
        </div>
      </div>
      <p className="muted">
        Send a key as <code>X-API-Key</code> (or <code>Authorization: Bearer</code>). Every key of the account sees the same jobs
        and shares one monthly allowance.
      </p>
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorAlert error={list.error} />
      ) : (
        <>
          <section aria-labelledby="active-keys-title" className="stack">
            <h2 id="active-keys-title">Active keys</h2>
            {active.length === 0 ? (
              <Empty>No active key. Create one for each application that enqueues jobs.</Empty>
            ) : (
              <KeyTable items={active} onDelete={setDeleting} />
            )}
          </section>
          <section aria-labelledby="disabled-keys-title" className="stack">
            <h2 id="disabled-keys-title">Disabled keys</h2>
            {disabled.length === 0 ? (
              <Empty>No disabled keys. A primary key replaced by Regenerate stays listed here; every service refuses it.</Empty>
            ) : (
              <KeyTable items={disabled} onDelete={setDeleting} />
            )}
          </section>
        </>
      )}
      {creating && (
        <CreateKeyDialog
          onClose={() => setCreating(false)}
          onCreated={(key) => {
            setCreating(false);
            setCreated(key);
          }}
        />
      )}
      {created !== null && <ShownOnce created={created} onDone={() => setCreated(null)} />}
      {deleting !== null && <DeleteKeyDialog apiKey={deleting} onClose={() => setDeleting(null)} />}
    </>
  );
}
