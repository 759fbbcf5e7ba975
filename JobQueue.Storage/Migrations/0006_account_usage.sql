-- The monthly quota belongs to the account (issue 9): every key and every login token of a user take from one
-- counter, so creating more keys (or deleting a used one) no longer buys more jobs. One row per user and calendar
-- month (UTC); a new month starts with a new row, so nothing has to reset.
CREATE TABLE account_usage (
    user_id   uuid   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    period    date   NOT NULL CHECK (extract(day FROM period) = 1),
    jobs_used bigint NOT NULL DEFAULT 0 CHECK (jobs_used >= 0),
    PRIMARY KEY (user_id, period)
);

-- This month's figures carry over as the sum of the account's enabled keys. A disabled key is one that was
-- regenerated, and its count was copied into its replacement when that happened: counting it as well would count
-- those jobs twice. Earlier months are not carried: nothing reads them (the quota and /usage are this month's).
INSERT INTO account_usage (user_id, period, jobs_used)
SELECT k.user_id, u.period, sum(u.jobs_used)
FROM key_usage u
JOIN api_keys k ON k.id = u.api_key_id AND k.enabled
WHERE u.period = date_trunc('month', now() AT TIME ZONE 'UTC')::date
GROUP BY k.user_id, u.period;

DROP TABLE key_usage;
