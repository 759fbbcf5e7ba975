namespace JobQueue.Storage.Postgres;

/// <summary>The SQL of <see cref="AccountStore"/> and <see cref="UsageMeter"/>.</summary>
internal static class AccountSql
{
    private const string KeyColumns = "id, user_id, name, key_prefix, tier, enabled, created_at";

    // The account's tier is the best tier any of its keys holds (disabled ones included, so regenerating or
    // deleting a key cannot lose a paid tier); an account without keys is free.
    private const string AccountTier =
        """
        COALESCE((SELECT tier FROM api_keys WHERE user_id = @user_id
                  ORDER BY array_position(ARRAY['free', 'pro', 'business'], tier) DESC LIMIT 1), 'free')
        """;

    public const string InsertUser =
        """
        INSERT INTO users (id, email, password_hash, created_at) VALUES (@id, @email, @password_hash, @created_at)
        RETURNING id, email, password_hash, token_version, created_at
        """;

    public const string InsertKeyWithAccountTier =
        $"""
        INSERT INTO api_keys (id, user_id, name, key_hash, key_prefix, tier, enabled, created_at)
        SELECT @id, @user_id, @name, @key_hash, @key_prefix, {AccountTier}, true, @created_at
        WHERE EXISTS (SELECT 1 FROM users WHERE id = @user_id)
        RETURNING {KeyColumns}
        """;

    public const string UserByEmail =
        "SELECT id, email, password_hash, token_version, created_at FROM users WHERE lower(email) = lower(@email)";

    public const string UserById =
        "SELECT id, email, password_hash, token_version, created_at FROM users WHERE id = @id";

    public const string UpdatePasswordHash = "UPDATE users SET password_hash = @password_hash WHERE id = @id";

    public const string KeysOfUser = $"SELECT {KeyColumns} FROM api_keys WHERE user_id = @user_id ORDER BY created_at, id";

    public const string DeleteKey = "DELETE FROM api_keys WHERE id = @id AND user_id = @user_id RETURNING id";

    // The primary key is the oldest enabled key; FOR UPDATE makes two concurrent regenerations queue up.
    public const string DisablePrimaryKey =
        """
        UPDATE api_keys SET enabled = false
        WHERE id = (SELECT id FROM api_keys WHERE user_id = @user_id AND enabled ORDER BY created_at, id LIMIT 1 FOR UPDATE)
        RETURNING id, name
        """;

    public const string KeyByHash =
        "SELECT id, user_id, tier FROM api_keys WHERE key_hash = @key_hash AND enabled";

    // The tier is the account's, also when it has no enabled key left: a login token is metered like a key.
    public const string UserAuth =
        $"""
        SELECT u.id, u.token_version, k.id AS primary_key_id, {AccountTier} AS tier
        FROM users u
        LEFT JOIN LATERAL (SELECT id, tier FROM api_keys WHERE user_id = u.id AND enabled ORDER BY created_at, id LIMIT 1) k ON true
        WHERE u.id = @user_id
        """;

    public const string InsertResetToken =
        """
        INSERT INTO password_reset_tokens (token_hash, user_id, expires_at, created_at)
        SELECT @token_hash, id, @expires_at, @created_at FROM users WHERE lower(email) = lower(@email)
        RETURNING user_id
        """;

    // Single use and unexpired in one statement: of two concurrent resets with the same token, the second waits
    // for the first's row lock, re-checks used_at IS NULL, finds it set, and updates nothing. The user's
    // token_version is bumped in the same statement, so every JWT issued before the reset stops working.
    public const string ResetPassword =
        """
        WITH t AS (
            UPDATE password_reset_tokens SET used_at = @now
            WHERE token_hash = @token_hash AND used_at IS NULL AND expires_at > @now
            RETURNING user_id)
        UPDATE users u SET password_hash = @password_hash, token_version = u.token_version + 1
        FROM t WHERE u.id = t.user_id
        RETURNING u.id
        """;

    // Adds n to the account's count for this month only if the result stays within the limit (-1: no limit). The row
    // lock taken by ON CONFLICT DO UPDATE serialises concurrent consumers of the account, whichever key or token they
    // use, and the WHERE is evaluated on the latest row version, so the limit holds under any concurrency; a refused
    // consume writes nothing.
    public const string Consume =
        """
        INSERT INTO account_usage (user_id, period, jobs_used)
        SELECT @user_id, @period, @n WHERE @limit < 0 OR @n <= @limit
        ON CONFLICT (user_id, period) DO UPDATE SET jobs_used = account_usage.jobs_used + EXCLUDED.jobs_used
        WHERE @limit < 0 OR account_usage.jobs_used + EXCLUDED.jobs_used <= @limit
        RETURNING jobs_used
        """;

    public const string Used =
        "SELECT COALESCE((SELECT jobs_used FROM account_usage WHERE user_id = @user_id AND period = @period), 0)";

    // What /usage shows: the account's tier and this month's count; no row for an unknown user.
    public const string AccountUsage =
        $"""
        SELECT {AccountTier} AS tier,
               COALESCE((SELECT jobs_used FROM account_usage WHERE user_id = @user_id AND period = @period), 0) AS jobs_used
        FROM users WHERE id = @user_id
        """;
}
