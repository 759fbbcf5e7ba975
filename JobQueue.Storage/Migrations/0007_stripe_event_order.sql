-- Stripe delivers events out of order and more than once (issue 9): a customer.subscription.updated (active) that
-- arrives after the customer.subscription.deleted it preceded must not upgrade the account again. The newest event
-- applied to each subscription is kept here, and an event changes a plan only if it is newer (see BillingSql).
-- Subscriptions paid before this migration have no row: their next event applies, as every event did until now.
CREATE TABLE stripe_subscriptions (
    id            text        PRIMARY KEY,            -- Stripe's subscription id (sub_…)
    event_created timestamptz NOT NULL,               -- the `created` of the newest event applied to it (whole seconds)
    event_id      text        NOT NULL,               -- that event
    ended         boolean     NOT NULL DEFAULT false, -- customer.subscription.deleted applied: Stripe never revives it
    updated_at    timestamptz NOT NULL DEFAULT now()
);
