using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace JobQueue.Client.Hosting;

/// <summary>How the hosted worker leases and runs jobs; bound from the configuration section <c>JobQueue:Worker</c>.</summary>
public sealed class JobQueueWorkerOptions
{
    public const string SectionName = "JobQueue:Worker";

    /// <summary>The worker's id on the server (1–128 of [A-Za-z0-9._:@-]): host, process id and a random suffix by default.</summary>
    public string WorkerId { get; set; } = DefaultWorkerId();

    /// <summary>Jobs run at once; the worker leases only for free slots.</summary>
    public int Concurrency { get; set; } = 8;

    /// <summary>The queues to take jobs from (null: critical, default and bulk).</summary>
    public IList<string>? Queues { get; set; }

    /// <summary>How long a lease lasts without a heartbeat (5 s–1 h); heartbeats go every third of it.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one lease request waits for a job when none is ready (at most 20 s).</summary>
    public TimeSpan PollWait { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a handler whose token fired may take to stop before its job is reported anyway.</summary>
    public TimeSpan CancellationGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Payloads, results and progress: snake_case, as the API's own fields.</summary>
    public JsonSerializerOptions SerializerOptions { get; set; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    private static string DefaultWorkerId()
    {
        var host = new string([.. Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '-')]);
        return $"{host}-{Environment.ProcessId}-{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";
    }
}
