-- Cron schedules (issue 4). Unlike the original (006: global names, no tenant), every schedule belongs to a tenant
-- and names are unique per tenant. next_run_at is the due tick; the firer moves it on with a compare-and-set
-- (WHERE next_run_at = @due) in the same transaction as the job insert, so a tick fires at most once.

CREATE TABLE cron_schedules (
    id              uuid        PRIMARY KEY,
    owner           text        NOT NULL,                -- the tenant; fired jobs belong to it too
    name            text        NOT NULL,
    job_type        text        NOT NULL,
    payload         jsonb       NOT NULL DEFAULT '{}',
    queue_name      text        NOT NULL DEFAULT 'default' CHECK (queue_name IN ('critical', 'default', 'bulk')),
    priority        smallint    NOT NULL DEFAULT 5 CHECK (priority BETWEEN 1 AND 10),
    max_attempts    integer     NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    timeout_seconds integer     NULL CHECK (timeout_seconds > 0),
    tags            jsonb       NOT NULL DEFAULT '{}',
    cron_expression text        NOT NULL,                -- 5 fields, or 6 with seconds first (NCrontab)
    timezone        text        NOT NULL DEFAULT 'UTC',  -- IANA name; the expression is read as wall-clock time there
    enabled         boolean     NOT NULL DEFAULT true,
    next_run_at     timestamptz NOT NULL,
    last_run_at     timestamptz NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT cron_schedules_owner_name_key UNIQUE (owner, name)
);

-- The firer's scan: due enabled schedules, earliest first; also gives the earliest tick to sleep until.
CREATE INDEX cron_schedules_due_idx ON cron_schedules (next_run_at) WHERE enabled;
