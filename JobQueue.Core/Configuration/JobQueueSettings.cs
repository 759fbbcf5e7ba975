using System.Globalization;
using JobQueue.Core.Scheduling;

namespace JobQueue.Core.Configuration;

/// <summary>
/// Every tunable of the system in one place. Read from the original's environment variable names
/// (<c>WORKER_COUNT</c>, <c>RETRY_BASE_DELAY</c>, …) or from the <c>JobQueue</c> configuration section
/// (<c>JobQueue__WorkerCount</c>, …); the original's names win when both are given, so its deployments keep working.
/// </summary>
public sealed record JobQueueSettings
{
    /// <summary>Static API key of single-tenant installs (empty: none).</summary>
    public string ApiKey { get; init; } = "";
    /// <summary>Operator key that sees every tenant (empty: none).</summary>
    public string AdminKey { get; init; } = "";
    /// <summary>
    /// Concurrent handlers per worker process. Handlers are async tasks, not threads: the typical job waits on I/O
    /// (an email API, a model, a download), so a worker keeps many in flight; CPU-bound handlers simply queue on the
    /// thread pool. Half of this (up to half a claim batch) is also the claim size that keeps Postgres round trips few.
    /// </summary>
    public int WorkerCount { get; init; } = 64;
    /// <summary>Most jobs a worker claims in one round trip.</summary>
    public int WorkerClaimBatch { get; init; } = 100;
    public TimeSpan WorkerHeartbeatInterval { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Safety-net wait between claim attempts when no wake-up notification arrives (not the hot path).</summary>
    public TimeSpan WorkerPollInterval { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan WorkerShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Visibility timeout of a claimed job; the worker's heartbeat extends it.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Queues this worker takes jobs from.</summary>
    public IReadOnlyList<string> WorkerQueues { get; init; } = Jobs.QueueNames.All;
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromHours(1);
    public int RetryDefaultMaxAttempts { get; init; } = Jobs.JobDefaults.MaxAttempts;
    public TimeSpan PriorityAgingStep { get; init; } = PriorityScore.DefaultAgingStep;
    /// <summary>How long a DLQ entry is kept when nobody requeues it (zero: for ever).</summary>
    public TimeSpan DlqRetention { get; init; } = TimeSpan.FromDays(30);
    /// <summary>Largest accepted request body in bytes (413 beyond).</summary>
    public long MaxRequestBodyBytes { get; init; } = 1024 * 1024;
    /// <summary>Prefix of every Redis key, so several installs (or test runs) share one Redis.</summary>
    public string RedisPrefix { get; init; } = "jq:";
    /// <summary>Allow <c>http.request</c> jobs to call loopback and private addresses (off outside Development).</summary>
    public bool HttpRequestAllowPrivate { get; init; }
    /// <summary>
    /// Requests per second each caller may make through the gateway (per API key, per tenant, the admin key on its
    /// own, or per client address when unauthenticated). Zero turns rate limiting off entirely, /auth included.
    /// </summary>
    public double RateLimitRps { get; init; } = 100;
    /// <summary>Bucket size: how many requests a caller may make at once before the rate applies.</summary>
    public int RateLimitBurst { get; init; } = 20;
    /// <summary>The stricter per-address rate of <c>/auth/*</c> (login, register, password reset); zero: no separate limit.</summary>
    public double RateLimitAuthRps { get; init; } = 1;
    /// <summary>Bucket size of <c>/auth/*</c> per client address.</summary>
    public int RateLimitAuthBurst { get; init; } = 5;

    /// <summary>
    /// Builds settings from a lookup of configuration keys (environment names first, then <c>JobQueue:Name</c>).
    /// Throws <see cref="FormatException"/> naming the setting when a value cannot be read.
    /// </summary>
    public static JobQueueSettings From(Func<string, string?> get)
    {
        var d = new JobQueueSettings();
        string? Get(string env, string name) => get(env) is { Length: > 0 } v ? v : get("JobQueue:" + name);
        int Int(string env, string name, int fallback, int min)
        {
            var raw = Get(env, name);
            if (raw is null) { return fallback; }
            if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < min)
            {
                throw new FormatException($"{env}='{raw}' must be an integer of at least {min}");
            }

            return v;
        }

        double Double(string env, string name, double fallback)
        {
            var raw = Get(env, name);
            if (raw is null) { return fallback; }
            if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < 0 || !double.IsFinite(v))
            {
                throw new FormatException($"{env}='{raw}' must be a number of at least 0");
            }

            return v;
        }

        TimeSpan Dur(string env, string name, TimeSpan fallback) =>
            Get(env, name) is { } raw ? GoDuration.Parse(raw, env) : fallback;
        bool Bool(string env, string name, bool fallback) =>
            Get(env, name) is { } raw ? raw is "1" || raw.Equals("true", StringComparison.OrdinalIgnoreCase) : fallback;

        var queues = Get("WORKER_QUEUES", "WorkerQueues") is { } q
            ? q.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : d.WorkerQueues.ToArray();
        foreach (var name in queues)
        {
            if (!Jobs.QueueNames.IsKnown(name))
            {
                throw new FormatException($"WORKER_QUEUES names unknown queue '{name}'");
            }
        }

        var settings = new JobQueueSettings
        {
            ApiKey = Get("API_KEY", "ApiKey") ?? "",
            AdminKey = Get("ADMIN_KEY", "AdminKey") ?? "",
            WorkerCount = Int("WORKER_COUNT", "WorkerCount", d.WorkerCount, 1),
            WorkerClaimBatch = Int("WORKER_CLAIM_BATCH", "WorkerClaimBatch", d.WorkerClaimBatch, 1),
            WorkerHeartbeatInterval = Dur("WORKER_HEARTBEAT_INTERVAL", "WorkerHeartbeatInterval", d.WorkerHeartbeatInterval),
            WorkerPollInterval = Dur("WORKER_POLL_INTERVAL", "WorkerPollInterval", d.WorkerPollInterval),
            WorkerShutdownTimeout = Dur("WORKER_SHUTDOWN_TIMEOUT", "WorkerShutdownTimeout", d.WorkerShutdownTimeout),
            LeaseDuration = Dur("WORKER_LEASE_DURATION", "LeaseDuration", d.LeaseDuration),
            WorkerQueues = queues,
            RetryBaseDelay = Dur("RETRY_BASE_DELAY", "RetryBaseDelay", d.RetryBaseDelay),
            RetryMaxDelay = Dur("RETRY_MAX_DELAY", "RetryMaxDelay", d.RetryMaxDelay),
            RetryDefaultMaxAttempts = Int("RETRY_DEFAULT_MAX_ATTEMPTS", "RetryDefaultMaxAttempts", d.RetryDefaultMaxAttempts, 1),
            PriorityAgingStep = Dur("PRIORITY_AGING_STEP", "PriorityAgingStep", d.PriorityAgingStep),
            DlqRetention = Dur("DLQ_RETENTION", "DlqRetention", d.DlqRetention),
            MaxRequestBodyBytes = Int("MAX_REQUEST_BODY_BYTES", "MaxRequestBodyBytes", (int)d.MaxRequestBodyBytes, 1024),
            RedisPrefix = Get("REDIS_PREFIX", "RedisPrefix") ?? d.RedisPrefix,
            HttpRequestAllowPrivate = Bool("HTTP_REQUEST_ALLOW_PRIVATE", "HttpRequestAllowPrivate", d.HttpRequestAllowPrivate),
            RateLimitRps = Double("RATE_LIMIT_RPS", "RateLimitRps", d.RateLimitRps),
            RateLimitBurst = Int("RATE_LIMIT_BURST", "RateLimitBurst", d.RateLimitBurst, 1),
            RateLimitAuthRps = Double("RATE_LIMIT_AUTH_RPS", "RateLimitAuthRps", d.RateLimitAuthRps),
            RateLimitAuthBurst = Int("RATE_LIMIT_AUTH_BURST", "RateLimitAuthBurst", d.RateLimitAuthBurst, 1),
        };
        if (settings.LeaseDuration <= settings.WorkerHeartbeatInterval)
        {
            throw new FormatException($"WORKER_LEASE_DURATION ({settings.LeaseDuration}) must be longer than WORKER_HEARTBEAT_INTERVAL ({settings.WorkerHeartbeatInterval})");
        }

        if (settings.RetryMaxDelay < settings.RetryBaseDelay || settings.RetryBaseDelay <= TimeSpan.Zero)
        {
            throw new FormatException("RETRY_BASE_DELAY must be positive and RETRY_MAX_DELAY at least RETRY_BASE_DELAY");
        }

        return settings;
    }
}
