using Dapper;
using Npgsql;

namespace JobQueue.Storage.Postgres;

/// <summary>A user as stored.</summary>
public sealed record UserRecord
{
    public Guid Id { get; init; }
    public string Email { get; init; } = "";
    public string PasswordHash { get; init; } = "";
    public int TokenVersion { get; init; }
    public DateTime CreatedAt { get; init; }
}

/// <summary>An API key as stored (the key itself is never stored, only its digest and prefix).</summary>
public sealed record ApiKeyRecord
{
    public Guid Id { get; init; }
    public Guid UserId { get; init; }
    public string Name { get; init; } = "";
    public string KeyPrefix { get; init; } = "";
    public string Tier { get; init; } = "free";
    public bool Enabled { get; init; }
    public DateTime CreatedAt { get; init; }
}

/// <summary>A key about to be stored: its id, name and digest.</summary>
public sealed record NewApiKey(Guid Id, string Name, string KeyHash, string KeyPrefix);

/// <summary>What authenticating with an account key needs: the enabled key's owner and tier.</summary>
public sealed record KeyAuthRecord
{
    public Guid Id { get; init; }
    public Guid UserId { get; init; }
    public string Tier { get; init; } = "free";
}

/// <summary>
/// What authenticating with a JWT needs: the user's token version, primary (oldest enabled) key, and the account's
/// tier (free when it has no key).
/// </summary>
public sealed record UserAuthRecord
{
    public Guid Id { get; init; }
    public int TokenVersion { get; init; }
    public Guid? PrimaryKeyId { get; init; }
    public string Tier { get; init; } = "free";
}

/// <summary>Users, their API keys and password-reset tokens. SQL in <see cref="AccountSql"/>.</summary>
public sealed class AccountStore(NpgsqlDataSource dataSource)
{
    private const string UniqueViolation = "23505";

    static AccountStore() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    private static CommandDefinition Cmd(string sql, object? args, CancellationToken ct, NpgsqlTransaction? tx = null) =>
        new(sql, args, tx, cancellationToken: ct);

    /// <summary>
    /// Creates a user and its first key in one transaction; null when the email (compared case-insensitively) is
    /// taken, including by a concurrent registration.
    /// </summary>
    public async Task<(UserRecord User, ApiKeyRecord Key)?> UsersCreateWithKeyAsync(
        string email, string passwordHash, NewApiKey key, DateTime now, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        UserRecord user;
        try
        {
            user = await conn.QuerySingleAsync<UserRecord>(Cmd(AccountSql.InsertUser,
                new { id = Guid.CreateVersion7(), email, password_hash = passwordHash, created_at = now }, ct, tx));
        }
        catch (PostgresException e) when (e.SqlState == UniqueViolation)
        {
            return null;
        }

        var created = await conn.QuerySingleAsync<ApiKeyRecord>(Cmd(AccountSql.InsertKeyWithAccountTier, KeyArgs(user.Id, key, now), ct, tx));
        await tx.CommitAsync(ct);
        return (user, created);
    }

    public async Task<UserRecord?> UsersGetByEmailAsync(string email, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<UserRecord>(Cmd(AccountSql.UserByEmail, new { email }, ct));
    }

    public async Task<UserRecord?> UsersGetAsync(Guid id, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<UserRecord>(Cmd(AccountSql.UserById, new { id }, ct));
    }

    /// <summary>Replaces a password hash (after a login found the old format needs rehashing).</summary>
    public async Task UsersUpdatePasswordHashAsync(Guid id, string passwordHash, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await conn.ExecuteAsync(Cmd(AccountSql.UpdatePasswordHash, new { id, password_hash = passwordHash }, ct));
    }

    /// <summary>The user's keys, oldest first (disabled ones included).</summary>
    public async Task<IReadOnlyList<ApiKeyRecord>> KeysListAsync(Guid userId, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return (await conn.QueryAsync<ApiKeyRecord>(Cmd(AccountSql.KeysOfUser, new { user_id = userId }, ct))).AsList();
    }

    /// <summary>Adds a key with the account's tier (never one the caller chooses); null when the user does not exist.</summary>
    public async Task<ApiKeyRecord?> KeysCreateAsync(Guid userId, NewApiKey key, DateTime now, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<ApiKeyRecord>(Cmd(AccountSql.InsertKeyWithAccountTier, KeyArgs(userId, key, now), ct));
    }

    /// <summary>Deletes one of the user's keys (the account's usage stays); false when the user has no such key.</summary>
    public async Task<bool> KeysDeleteAsync(Guid userId, Guid keyId, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<Guid?>(Cmd(AccountSql.DeleteKey, new { id = keyId, user_id = userId }, ct)) is not null;
    }

    /// <summary>
    /// Disables the user's primary key and adds its replacement (same name, the account's tier; the month's count is
    /// the account's, so it is untouched), in one transaction. Returns the new key and the id of the disabled one (null if none was enabled).
    /// </summary>
    public async Task<(ApiKeyRecord Key, Guid? Replaced)?> KeysRegeneratePrimaryAsync(Guid userId, NewApiKey key, DateTime now, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        var old = await conn.QuerySingleOrDefaultAsync<ApiKeyRecord>(Cmd(AccountSql.DisablePrimaryKey, new { user_id = userId }, ct, tx));
        var created = await conn.QuerySingleOrDefaultAsync<ApiKeyRecord>(Cmd(AccountSql.InsertKeyWithAccountTier,
            KeyArgs(userId, key with { Name = old?.Name ?? key.Name }, now), ct, tx));
        if (created is null)
        {
            return null;
        }

        await tx.CommitAsync(ct);
        return (created, old?.Id);
    }

    /// <summary>The enabled key with this SHA-256 digest, or null.</summary>
    public async Task<KeyAuthRecord?> KeysFindEnabledByHashAsync(string keyHash, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<KeyAuthRecord>(Cmd(AccountSql.KeyByHash, new { key_hash = keyHash }, ct));
    }

    /// <summary>The user's token version and primary key, or null for an unknown user.</summary>
    public async Task<UserAuthRecord?> UsersGetAuthAsync(Guid userId, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<UserAuthRecord>(Cmd(AccountSql.UserAuth, new { user_id = userId }, ct));
    }

    /// <summary>Stores a reset token's digest for the user with this email; null (and nothing stored) when there is none.</summary>
    public async Task<Guid?> ResetTokensCreateAsync(string email, string tokenHash, DateTime now, DateTime expiresAt, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<Guid?>(Cmd(AccountSql.InsertResetToken,
            new { email, token_hash = tokenHash, created_at = now, expires_at = expiresAt }, ct));
    }

    /// <summary>
    /// Uses a reset token: sets the new password hash and bumps the token version, only if the token exists, is
    /// unused and unexpired at <paramref name="now"/>, all in one statement. Returns the user, or null.
    /// </summary>
    public async Task<Guid?> PasswordResetAsync(string tokenHash, string passwordHash, DateTime now, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await conn.QuerySingleOrDefaultAsync<Guid?>(Cmd(AccountSql.ResetPassword,
            new { token_hash = tokenHash, password_hash = passwordHash, now }, ct));
    }

    private static object KeyArgs(Guid userId, NewApiKey key, DateTime now) => new
    {
        id = key.Id, user_id = userId, name = key.Name, key_hash = key.KeyHash, key_prefix = key.KeyPrefix, created_at = now,
    };
}
