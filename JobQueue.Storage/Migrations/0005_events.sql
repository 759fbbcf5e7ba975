-- Lifecycle events (issue 4): a transactional outbox, webhook subscriptions and their deliveries.
--
-- job_events is the outbox. Every statement that changes a job's status also inserts, in the same statement (a
-- data-modifying CTE), ONE row holding the JSON array of the events of all the jobs it changed. So an event exists
-- exactly when its state change committed, and the hot path pays one small insert per batch, not one per job.
-- The relay (a scheduler leader role) deletes rows in id order, creates the webhook deliveries of their events in the
-- same transaction (so a committed event reaches its subscriptions at least once, whatever happens to Redis or a
-- dispatcher), then publishes them to the Redis event stream for the live consumers (/ws, metrics).

CREATE TABLE job_events (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    events     jsonb       NOT NULL                 -- [{event, owner, job_id, job_type, queue, ...}, ...]
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000, autovacuum_vacuum_cost_delay = 0);
-- A batch of a thousand events is ~300 kB of JSON: kept out of line and not compressed (compression costs the writer CPU).
ALTER TABLE job_events ALTER COLUMN events SET STORAGE EXTERNAL;

CREATE TABLE webhooks (
    id                   uuid        PRIMARY KEY,
    owner                text        NOT NULL,               -- the tenant: only its jobs' events are delivered here
    url                  text        NOT NULL,
    secret               text        NULL,                   -- HMAC key; write-only through the API
    events               text[]      NOT NULL DEFAULT '{}',  -- event names; empty means every job event
    enabled              boolean     NOT NULL DEFAULT true,
    description          text        NULL,
    consecutive_failures integer     NOT NULL DEFAULT 0,     -- deliveries given up in a row; reset by a success
    disabled_reason      text        NULL,                   -- set when the dispatcher disabled it automatically
    disabled_at          timestamptz NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);
CREATE INDEX webhooks_owner_idx ON webhooks (owner, created_at DESC, id DESC);

-- One row per (subscription, event): the unit the dispatcher retries. UNIQUE (webhook_id, event_id) makes the
-- relay's fan-out idempotent.
CREATE TABLE webhook_deliveries (
    id              uuid        PRIMARY KEY,
    webhook_id      uuid        NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    owner           text        NOT NULL,
    event_id        text        NOT NULL,               -- '<job_events.id>.<position in its array>'
    event           text        NOT NULL,               -- job.completed, ...
    job_id          uuid        NULL,
    payload         jsonb       NOT NULL,               -- the lifecycle event as the relay read it
    trace_parent    text        NULL,                   -- W3C traceparent of the job's enqueue request
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivering', 'succeeded', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_until     timestamptz NULL,                   -- while 'delivering': a dispatcher that dies lets it expire
    created_at      timestamptz NOT NULL,
    completed_at    timestamptz NULL,
    CONSTRAINT webhook_deliveries_event_key UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_lease_idx ON webhook_deliveries (lease_until) WHERE status = 'delivering';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at DESC);
-- The dispatcher's retention purge (WEBHOOK_DELIVERY_RETENTION) finds finished deliveries by age.
CREATE INDEX webhook_deliveries_completed_idx ON webhook_deliveries (completed_at) WHERE status IN ('succeeded', 'failed');

-- Every HTTP attempt of a delivery: the log behind GET /api/v1/webhooks/{id}/deliveries.
CREATE TABLE webhook_delivery_attempts (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id uuid        NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    webhook_id  uuid        NOT NULL,
    attempt     integer     NOT NULL,
    started_at  timestamptz NOT NULL,
    latency_ms  integer     NOT NULL,
    status_code integer     NULL,                       -- null: no answer (timeout, refused, blocked address)
    error       text        NULL,
    succeeded   boolean     NOT NULL
);
CREATE INDEX webhook_delivery_attempts_webhook_idx ON webhook_delivery_attempts (webhook_id, id DESC);
CREATE INDEX webhook_delivery_attempts_delivery_idx ON webhook_delivery_attempts (delivery_id, id);
