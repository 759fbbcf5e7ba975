-- The job spine: jobs, the dead-letter queue and the worker registry.
-- status is text with a CHECK rather than a Postgres enum so that adding a state later is one ALTER, not a type dance.

CREATE TABLE jobs (
    id               uuid        PRIMARY KEY,            -- UUIDv7 made by the API: time-ordered, so inserts stay at the right edge of the index
    owner            text        NOT NULL,               -- the tenant; every query filters by it
    api_key_id       uuid        NULL,
    type             text        NOT NULL,
    payload          jsonb       NOT NULL DEFAULT '{}',
    priority         smallint    NOT NULL CHECK (priority BETWEEN 1 AND 10),
    status           text        NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'dead', 'cancelled')),
    attempts         integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts     integer     NOT NULL CHECK (max_attempts >= 1),
    queue_name       text        NOT NULL CHECK (queue_name IN ('critical', 'default', 'bulk')),
    scheduled_at     timestamptz NOT NULL,               -- when the job may next run (retry time while failed)
    created_at       timestamptz NOT NULL,
    started_at       timestamptz NULL,
    completed_at     timestamptz NULL,
    worker_id        text        NULL,
    lease_until      timestamptz NULL,                   -- visibility timeout of the running attempt
    cancel_requested boolean     NOT NULL DEFAULT false,
    error_message    text        NULL,
    result           jsonb       NULL,
    timeout_seconds  integer     NULL CHECK (timeout_seconds > 0),
    ttl_seconds      integer     NULL CHECK (ttl_seconds >= 0),
    expires_at       timestamptz NULL,                   -- set when a job with ttl_seconds ends
    tags             jsonb       NOT NULL DEFAULT '{}',
    requeued_from    uuid        NULL,                   -- the DLQ entry this job was requeued from
    trace_parent     text        NULL                    -- W3C traceparent of the enqueue request
) WITH (fillfactor = 85);

-- Listing (offset and cursor) per tenant, newest first.
CREATE INDEX jobs_owner_created_idx ON jobs (owner, created_at DESC, id DESC);
-- Rebuilding Redis and the stale sweep walk the waiting jobs by due time.
CREATE INDEX jobs_waiting_idx ON jobs (scheduled_at, id) WHERE status IN ('pending', 'failed');
-- Lease rescue.
CREATE INDEX jobs_running_lease_idx ON jobs (lease_until) WHERE status = 'running';
-- TTL purge.
CREATE INDEX jobs_expires_idx ON jobs (expires_at) WHERE expires_at IS NOT NULL;
-- tags=k:v filters (containment).
CREATE INDEX jobs_tags_idx ON jobs USING gin (tags jsonb_path_ops);

CREATE TABLE dead_letter_jobs (
    id                  uuid        PRIMARY KEY,
    job_id              uuid        NOT NULL,
    owner               text        NOT NULL,
    api_key_id          uuid        NULL,
    type                text        NOT NULL,
    payload             jsonb       NOT NULL,
    priority            smallint    NOT NULL,
    queue_name          text        NOT NULL,
    max_attempts        integer     NOT NULL,
    total_attempts      integer     NOT NULL,
    last_error          text        NULL,
    died_at             timestamptz NOT NULL,
    original_created_at timestamptz NOT NULL,
    requeued            boolean     NOT NULL DEFAULT false,
    requeued_at         timestamptz NULL,
    new_job_id          uuid        NULL,
    expires_at          timestamptz NULL,
    tags                jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX dead_letter_jobs_owner_idx ON dead_letter_jobs (owner, died_at DESC, id DESC);
CREATE INDEX dead_letter_jobs_expires_idx ON dead_letter_jobs (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE workers (
    id             text        PRIMARY KEY,
    host           text        NOT NULL,
    pid            integer     NOT NULL,
    status         text        NOT NULL CHECK (status IN ('active', 'stopped')),
    queues         text[]      NOT NULL,
    concurrency    integer     NOT NULL,
    running        integer     NOT NULL DEFAULT 0,
    jobs_processed bigint      NOT NULL DEFAULT 0,
    jobs_failed    bigint      NOT NULL DEFAULT 0,
    started_at     timestamptz NOT NULL,
    last_seen      timestamptz NOT NULL
);
