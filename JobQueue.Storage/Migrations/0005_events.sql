-- Lifecycle events (issue 4): a transactional outbox, webhook subscriptions and their deliveries.
--
-- job_events is the outbox. Every statement that changes a job's status also inserts, in the same statement (a
-- data-modifying CTE), ONE row holding the events of all the jobs it changed (as arrays). So an event exists
-- exactly when its state change committed, and the hot path pays one small insert per batch, not one per job.
-- The relay (a scheduler leader role) deletes rows in id order, creates the webhook deliveries of their events in the
-- same transaction (so a committed event reaches its subscriptions at least once, whatever happens to Redis or a
-- dispatcher), then publishes them to the Redis event stream for the live consumers (/ws, metrics).

CREATE TABLE job_events (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at    timestamptz NOT NULL DEFAULT now(),
    event         text        NOT NULL,             -- job.enqueued, job.started, ...: one kind per statement
    status        text        NOT NULL,             -- the jobs' status after the change
    ts            timestamptz NOT NULL,             -- when the change happened
    worker_id     text        NULL,
    retry_at      timestamptz NULL,                 -- job.failed: when the next attempt is due
    -- One element per job, in the same order (parallel arrays: cheaper to build in the hot statements than JSON).
    job_ids       uuid[]      NOT NULL,
    owners        text[]      NOT NULL,
    types         text[]      NOT NULL,
    queues        text[]      NOT NULL,
    priorities    smallint[]  NOT NULL,
    attempts      integer[]   NOT NULL,
    max_attempts  integer[]   NOT NULL,
    trace_parents text[]      NOT NULL,
    millis        float8[]    NULL,                 -- job.started: queue wait; completed/failed/dead/cancelled: run time
    errors        text[]      NULL
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000, autovacuum_vacuum_cost_delay = 0,
        toast_tuple_target = 8160);
-- A claim's or a completion's row (~32 jobs, 2-4 kB) stays inline and uncompressed (toast_tuple_target): compressing
-- it would cost the hot statement CPU for a row that lives a few milliseconds. Larger rows (batch enqueues) use lz4.
ALTER TABLE job_events ALTER COLUMN job_ids SET COMPRESSION lz4, ALTER COLUMN owners SET COMPRESSION lz4,
    ALTER COLUMN types SET COMPRESSION lz4, ALTER COLUMN queues SET COMPRESSION lz4, ALTER COLUMN trace_parents SET COMPRESSION lz4,
    ALTER COLUMN errors SET COMPRESSION lz4;

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
