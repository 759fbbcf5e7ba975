namespace JobQueue.Storage.Postgres;

/// <summary>The SQL of <see cref="BillingStore"/>.</summary>
internal static class BillingSql
{
    public const string CustomerOfUser = "SELECT id, email, stripe_customer_id FROM users WHERE id = @id";

    // Set once: a concurrent checkout that created another customer loses and reads the winner's back.
    public const string SetCustomerIfUnset =
        "UPDATE users SET stripe_customer_id = @customer WHERE id = @id AND stripe_customer_id IS NULL RETURNING stripe_customer_id";

    public const string CustomerId = "SELECT stripe_customer_id FROM users WHERE id = @id";

    // The first delivery of an event inserts its row; a redelivery (or a concurrent one, which waits for the first
    // transaction's uncommitted row and then conflicts) inserts nothing.
    public const string RecordEvent =
        """
        INSERT INTO stripe_events (id, type, processed_at) VALUES (@id, @type, @now)
        ON CONFLICT (id) DO NOTHING
        RETURNING id
        """;

    // An event changes a subscription's plan only if it is not older than the one applied last. Stripe's `created` has
    // whole seconds, and several events of one change share a second (checkout.session.completed and the
    // subscription's update): on a tie the later arrival applies, since which came last cannot be known. An ended
    // subscription takes no further event, newer or tied: Stripe never reactivates a deleted one, so of a deletion and
    // an update in the same second the deletion wins in either order. The row lock of ON CONFLICT DO UPDATE orders
    // concurrent events of one subscription, and the WHERE is evaluated on the latest row; no row returned means the
    // event is stale.
    public const string AdvanceSubscription =
        """
        INSERT INTO stripe_subscriptions (id, event_created, event_id, ended, updated_at)
        VALUES (@subscription, @created, @event_id, @ends, @now)
        ON CONFLICT (id) DO UPDATE
        SET event_created = EXCLUDED.event_created, event_id = EXCLUDED.event_id, ended = EXCLUDED.ended, updated_at = EXCLUDED.updated_at
        WHERE NOT stripe_subscriptions.ended AND EXCLUDED.event_created >= stripe_subscriptions.event_created
        RETURNING id
        """;

    public const string RememberCustomer =
        "UPDATE users SET stripe_customer_id = COALESCE(stripe_customer_id, @customer) WHERE id = @user_id";

    // The plan belongs to the account: every key (disabled ones included, since the account's tier is the best
    // tier any of its keys holds) gets it, and the subscription that pays for it.
    public const string SetAccountPlan =
        """
        UPDATE api_keys SET tier = @tier, stripe_subscription_id = COALESCE(@subscription, stripe_subscription_id)
        WHERE user_id = @user_id
        RETURNING user_id
        """;

    // The account of a subscription: the one whose keys carry it, else (an event that arrives before
    // checkout.session.completed) the one whose Stripe customer it is. An event about a subscription the account no
    // longer uses (its keys carry another one) changes nothing: an old subscription's cancellation must not
    // downgrade an account paying through a newer one.
    public const string SetSubscriptionPlan =
        """
        WITH target AS (
            SELECT COALESCE(
                (SELECT user_id FROM api_keys WHERE stripe_subscription_id = @subscription LIMIT 1),
                (SELECT id FROM users WHERE stripe_customer_id = @customer ORDER BY created_at, id LIMIT 1)) AS user_id)
        UPDATE api_keys k SET tier = @tier, stripe_subscription_id = @subscription
        FROM target t
        WHERE k.user_id = t.user_id
          AND NOT EXISTS (SELECT 1 FROM api_keys o WHERE o.user_id = t.user_id AND o.stripe_subscription_id <> @subscription)
        RETURNING k.user_id
        """;
}
