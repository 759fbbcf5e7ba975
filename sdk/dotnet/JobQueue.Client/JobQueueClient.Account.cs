namespace JobQueue.Client;

public sealed partial class JobQueueClient
{
    /// <summary>POST /auth/register: a new account (free tier), its login token and its first key (shown once).</summary>
    public Task<Registration> RegisterAsync(Credentials credentials, CancellationToken cancellationToken = default) =>
        PostAsync("/auth/register", credentials, Json.Credentials, Json.Registration, cancellationToken);

    /// <summary>POST /auth/login: a login token (24 h) and the account's keys; 401 "invalid email or password".</summary>
    public Task<Login> LoginAsync(Credentials credentials, CancellationToken cancellationToken = default) =>
        PostAsync("/auth/login", credentials, Json.Credentials, Json.Login, cancellationToken);

    /// <summary>GET /api/v1/keys: the account's keys, oldest first.</summary>
    public async Task<IReadOnlyList<ApiKey>> ListKeysAsync(CancellationToken cancellationToken = default) =>
        await GetAsync("/api/v1/keys", Json.ListApiKey, cancellationToken);

    /// <summary>POST /api/v1/keys: a new key with the account's tier; <see cref="CreatedApiKey.Key"/> is shown this once.</summary>
    public Task<CreatedApiKey> CreateKeyAsync(string? name = null, CancellationToken cancellationToken = default) =>
        PostAsync("/api/v1/keys", new CreateKeyRequest(name), Json.CreateKeyRequest, Json.CreatedApiKey, cancellationToken);

    /// <summary>DELETE /api/v1/keys/{id}: the key stops working in every service at once.</summary>
    public Task<Deleted> DeleteKeyAsync(Guid id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"/api/v1/keys/{Id(id)}", null, Json.Deleted, cancellationToken);

    /// <summary>GET /api/v1/usage: this month's count of the account (every key and token together).</summary>
    public Task<Usage> GetUsageAsync(CancellationToken cancellationToken = default) =>
        GetAsync("/api/v1/usage", Json.Usage, cancellationToken);

    /// <summary>GET /portal/usage: the same for a login token, naming the account's primary key (a login token only).</summary>
    public Task<Usage> GetPortalUsageAsync(CancellationToken cancellationToken = default) =>
        GetAsync("/portal/usage", Json.Usage, cancellationToken);
}
