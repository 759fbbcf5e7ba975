-- Remote workers: any process that speaks HTTP leases jobs (POST /api/v1/workers/lease) of the types it serves.
-- lease_token: the proof a remote worker shows for its attempt (heartbeat, complete, fail); a fresh random one per
-- lease, so another worker, or the same one after its lease expired and the job was leased again, is refused.
-- progress: the last progress a remote worker reported for the running attempt.
ALTER TABLE jobs ADD COLUMN lease_token uuid NULL, ADD COLUMN progress jsonb NULL;

-- What a worker serves, whose it is, and until when it counts as alive without another word from it (a remote
-- worker long-polls, so "three missed heartbeats" does not fit it: it is alive while it polls or holds a lease).
ALTER TABLE workers
    ADD COLUMN kind text NOT NULL DEFAULT 'built-in' CHECK (kind IN ('built-in', 'remote')),
    ADD COLUMN owner text NULL,              -- a remote worker's tenant; NULL: every tenant's (built-in, or the admin key's)
    ADD COLUMN types text[] NOT NULL DEFAULT '{}',
    ADD COLUMN alive_until timestamptz NULL;

-- Remote leasing reads waiting jobs of the asked types from Postgres (they are never in Redis). The index leaves out
-- the built-in types (JobQueue.Core.Jobs.BuiltInJobTypes, the same list), so the built-in hot path pays nothing for it.
CREATE INDEX jobs_remote_waiting_idx ON jobs (type, scheduled_at, id)
    WHERE status IN ('pending', 'failed') AND type NOT IN ('noop', 'echo', 'sleep', 'fail', 'http.request');
