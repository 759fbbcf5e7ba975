-- Every finished attempt of a job (issue 11): the job row keeps only the last attempt's error, the dashboard's job
-- page shows them all. One row per attempt, written by the event relay in the transaction that takes the attempt's
-- outcome event out of the outbox (EventSql.Relay), so the hot statements that claim and settle jobs pay nothing
-- for it and an attempt is recorded exactly when its outcome committed. The attempt running now is not here: it is
-- the job row itself (status running, worker_id, started_at).
--
-- No foreign key to jobs: the relay may record an attempt of a job that a purge deleted a moment before, and that
-- must not fail the relay's statement (which also creates webhook deliveries). Purges delete a job's attempts with it.
CREATE TABLE job_attempts (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id      uuid        NOT NULL,
    attempt     integer     NOT NULL,
    worker_id   text        NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    duration_ms float8      NOT NULL,
    outcome     text        NOT NULL CHECK (outcome IN ('completed', 'failed', 'dead', 'cancelled', 'lost')),
    error       text        NULL
);
CREATE INDEX job_attempts_job_idx ON job_attempts (job_id, id);
