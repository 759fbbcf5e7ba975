using Billing.Service.Apis;
using JobQueue.Core.Accounts;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.Storage.Postgres;
using Microsoft.AspNetCore.Identity;

namespace Billing.Service.Application;

/// <summary>
/// Accounts: registration, login, password reset, keys and usage. Passwords are hashed with ASP.NET Core
/// Identity's <see cref="PasswordHasher{TUser}"/> (PBKDF2); keys and reset tokens are stored as SHA-256 digests.
/// Every change that can make a credential stop working is announced through <see cref="CredentialCache"/>, so no
/// service keeps accepting it from its cache.
/// </summary>
internal sealed partial class AccountService(
    AccountStore store, UsageMeter meter, JwtIssuer jwt, CredentialCache credentials, TimeProvider time,
    IHostEnvironment environment, StripeSettings publicAddress, ILogger<AccountService> logger)
{
    /// <summary>How long a password-reset link works.</summary>
    public static readonly TimeSpan ResetTokenLifetime = TimeSpan.FromHours(1);

    private static readonly PasswordHasher<UserRecord> Hasher = new();
    private static readonly UserRecord NoUser = new();

    // Verified when the email is unknown, so that a login answers in the same time whether or not the account exists.
    private static readonly string DecoyHash = Hasher.HashPassword(NoUser, "decoy-password-for-timing");

    /// <summary>Creates the account and its first (free) key; null when the email is taken in any letter case.</summary>
    public async Task<RegisterResponse?> RegisterAsync(string email, string password, CancellationToken ct)
    {
        var now = Now();
        var (raw, key) = NewKey("default");
        var created = await store.UsersCreateWithKeyAsync(email, Hasher.HashPassword(NoUser, password), key, now.UtcDateTime, ct);
        if (created is not { } c)
        {
            return null;
        }

        var (token, expires) = jwt.Issue(c.User.Id, c.User.Email, c.User.TokenVersion);
        LogRegistered(logger, c.User.Id);
        return new RegisterResponse(token, expires, UserResponse.From(c.User), CreatedApiKeyResponse.From(c.Key, raw, now));
    }

    /// <summary>A token and the keys of the account, or null for an unknown email or a wrong password alike.</summary>
    public async Task<LoginResponse?> LoginAsync(string email, string password, CancellationToken ct)
    {
        var user = await store.UsersGetByEmailAsync(email, ct);
        var result = Hasher.VerifyHashedPassword(NoUser, user?.PasswordHash ?? DecoyHash, password);
        if (user is null || result == PasswordVerificationResult.Failed)
        {
            return null;
        }

        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await store.UsersUpdatePasswordHashAsync(user.Id, Hasher.HashPassword(NoUser, password), ct);
        }

        var keys = await store.KeysListAsync(user.Id, ct);
        var (token, expires) = jwt.Issue(user.Id, user.Email, user.TokenVersion);
        return new LoginResponse(token, expires, UserResponse.From(user), keys.Select(ApiKeyResponse.From).ToList());
    }

    /// <summary>
    /// Stores a one-hour reset token for the account, if there is one. Nothing is mailed yet: in Development the
    /// link is logged; elsewhere it is not written anywhere (a log is no place for a credential).
    /// </summary>
    public async Task ForgotPasswordAsync(string email, CancellationToken ct)
    {
        var now = Now().UtcDateTime;
        var token = ApiKeys.NewResetToken();
        var userId = await store.ResetTokensCreateAsync(email, ApiKeys.Hash(token), now, now + ResetTokenLifetime, ct);
        if (userId is not null && environment.IsDevelopment())
        {
            // The API form, at the public address: no page serves a reset link until the dashboard exists.
            LogResetLink(logger, email, $"{publicAddress.BaseUrl}/auth/reset-password", token);
        }
    }

    /// <summary>Sets the new password if the token is valid, unused and unexpired; every older login token stops working.</summary>
    public async Task<bool> ResetPasswordAsync(string token, string password, CancellationToken ct)
    {
        var userId = await store.PasswordResetAsync(ApiKeys.Hash(token), Hasher.HashPassword(NoUser, password), Now().UtcDateTime, ct);
        if (userId is not { } id)
        {
            return false;
        }

        await credentials.InvalidateUserAsync(id);
        return true;
    }

    public Task<IReadOnlyList<ApiKeyRecord>> ListKeysAsync(Guid userId, CancellationToken ct) => store.KeysListAsync(userId, ct);

    /// <summary>A new key with the account's tier; null when the user no longer exists.</summary>
    public async Task<CreatedApiKeyResponse?> CreateKeyAsync(Guid userId, string name, CancellationToken ct)
    {
        var now = Now();
        var (raw, key) = NewKey(name);
        var created = await store.KeysCreateAsync(userId, key, now.UtcDateTime, ct);
        if (created is null)
        {
            return null;
        }

        // The user's primary key may have changed (a first key after all were deleted): drop cached JWT lookups.
        await credentials.InvalidateUserAsync(userId);
        return CreatedApiKeyResponse.From(created, raw, now);
    }

    /// <summary>Deletes one of the user's keys; it stops working in every service at once.</summary>
    public async Task<bool> DeleteKeyAsync(Guid userId, Guid keyId, CancellationToken ct)
    {
        if (!await store.KeysDeleteAsync(userId, keyId, ct))
        {
            return false;
        }

        await credentials.InvalidateUserAsync(userId);
        return true;
    }

    /// <summary>Disables the primary key and returns its replacement (shown once); null when the user no longer exists.</summary>
    public async Task<CreatedApiKeyResponse?> RegenerateAsync(Guid userId, CancellationToken ct)
    {
        var now = Now();
        var (raw, key) = NewKey("default");
        var result = await store.KeysRegeneratePrimaryAsync(userId, key, now.UtcDateTime, ct);
        if (result is not { } r)
        {
            return null;
        }

        await credentials.InvalidateUserAsync(userId);
        return CreatedApiKeyResponse.From(r.Key, raw, now);
    }

    /// <summary>
    /// This month's usage of the account (every key and login token together), naming the key the caller used
    /// (<paramref name="keyId"/>; null: none); null when the user no longer exists.
    /// </summary>
    public async Task<UsageResponse?> UsageAsync(Guid userId, Guid? keyId, CancellationToken ct)
    {
        var now = Now();
        var usage = await meter.GetUsageAsync(userId, now, ct);
        if (usage is null)
        {
            return null;
        }

        var key = keyId is { } id ? (await store.KeysListAsync(userId, ct)).FirstOrDefault(k => k.Id == id) : null;
        return UsageResponse.From(new UsageReport(Tiers.Parse(usage.Tier), usage.JobsUsed, UsagePeriod.ResetAt(now)), key?.Id, key?.KeyPrefix);
    }

    private DateTimeOffset Now()
    {
        // Postgres keeps microseconds: truncate so that an answer shows what a later read returns.
        var now = time.GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % 10), TimeSpan.Zero);
    }

    private static (string Raw, NewApiKey Key) NewKey(string name)
    {
        var raw = ApiKeys.Generate();
        return (raw, new NewApiKey(Guid.CreateVersion7(), name, ApiKeys.Hash(raw), ApiKeys.Prefix(raw)));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered user {UserId}")]
    private static partial void LogRegistered(ILogger logger, Guid userId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Password reset for {Email} (Development only, no mail is sent): POST {Url} with {{\"token\":\"{Token}\",\"password\":\"…\"}}")]
    private static partial void LogResetLink(ILogger logger, string email, string url, string token);
}
