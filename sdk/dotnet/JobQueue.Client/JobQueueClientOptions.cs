namespace JobQueue.Client;

/// <summary>Where the API is and how to authenticate; bound from the configuration section <c>JobQueue</c>.</summary>
public sealed class JobQueueClientOptions
{
    /// <summary>The configuration section the options are read from.</summary>
    public const string SectionName = "JobQueue";

    /// <summary>The gateway, e.g. <c>http://localhost:8080</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>An account key (qly_…), the static API key or the operator's key, sent as <c>X-API-Key</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>A login token from <see cref="JobQueueClient.LoginAsync"/>, sent as <c>Authorization: Bearer</c> when no <see cref="ApiKey"/> is set.</summary>
    public string? Token { get; set; }

    /// <summary>
    /// Retries of a request after a 429 (any method, after its Retry-After) or, for idempotent methods (GET, PUT,
    /// DELETE, HEAD), after a 503 or a transport error. 0 turns retrying off.
    /// </summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>
    /// The longest Retry-After worth waiting for: a 429 that asks for more (a monthly limit reached says "next month")
    /// is thrown at once, its <see cref="JobQueueException.RetryAfter"/> telling the caller when.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The first backoff of a retry without Retry-After (doubled each time, with jitter).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The whole time one attempt of a request may take (a lease long-polls up to 20 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);
}
