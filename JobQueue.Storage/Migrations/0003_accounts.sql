-- Accounts (issue 3): users, their API keys, password-reset tokens, monthly usage per key, and processed Stripe
-- events. No demo data here: the AppHost registers a demo account through the API in Development only.

CREATE TABLE users (
    id                 uuid        PRIMARY KEY,
    email              text        NOT NULL,             -- stored trimmed and lowercased by the service
    password_hash      text        NOT NULL,             -- ASP.NET Core Identity PasswordHasher (PBKDF2)
    stripe_customer_id text        NULL,
    token_version      integer     NOT NULL DEFAULT 0,   -- the JWT 'ver' claim; bumped to revoke every token of the user
    created_at         timestamptz NOT NULL DEFAULT now()
);
-- Unique case-insensitively even if a row were ever written without lowercasing.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE api_keys (
    id                     uuid        PRIMARY KEY,
    user_id                uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name                   text        NOT NULL,
    key_hash               text        NOT NULL UNIQUE,  -- SHA-256 hex of the whole key; the key itself is never stored
    key_prefix             text        NOT NULL,         -- first 8 characters, shown in lists
    tier                   text        NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'pro', 'business')),
    enabled                boolean     NOT NULL DEFAULT true,
    stripe_subscription_id text        NULL,
    created_at             timestamptz NOT NULL DEFAULT now()
);
-- A user's keys, oldest first (the oldest enabled key is the account's primary key).
CREATE INDEX api_keys_user_idx ON api_keys (user_id, created_at, id);

CREATE TABLE password_reset_tokens (
    token_hash text        PRIMARY KEY,                  -- SHA-256 hex of the token sent in the link
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_reset_tokens_user_idx ON password_reset_tokens (user_id);

-- One row per key and calendar month (UTC); a new month starts with a new row, so nothing has to reset.
CREATE TABLE key_usage (
    api_key_id uuid   NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    period     date   NOT NULL CHECK (extract(day FROM period) = 1),
    jobs_used  bigint NOT NULL DEFAULT 0 CHECK (jobs_used >= 0),
    PRIMARY KEY (api_key_id, period)
);

-- Stripe delivers webhooks at least once: an event id recorded here is not processed again.
CREATE TABLE stripe_events (
    id           text        PRIMARY KEY,
    type         text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now()
);
