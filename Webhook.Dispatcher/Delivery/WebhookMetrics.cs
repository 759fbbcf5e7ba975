using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Webhook.Dispatcher.Delivery;

/// <summary>
/// The dispatcher's telemetry: the <c>JobQueue.Webhooks</c> meter (counter <c>jobqueue.webhook.deliveries</c> by
/// <c>outcome</c>) and activity source (one client span per attempt, child of the job's enqueue trace).
/// </summary>
public sealed class WebhookMetrics : IDisposable
{
    public const string Name = "JobQueue.Webhooks";

    private readonly Meter _meter;
    private readonly Counter<long> _deliveries;

    public WebhookMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(Name);
        _deliveries = _meter.CreateCounter<long>("jobqueue.webhook.deliveries", unit: "{delivery}",
            description: "Webhook delivery attempts by outcome: succeeded, failed_retrying, gave_up, blocked");
    }

    public static ActivitySource Source { get; } = new(Name);

    public void Count(DeliveryOutcome outcome) => _deliveries.Add(1, new KeyValuePair<string, object?>("outcome", outcome.Tag()));

    public void Dispose() => _meter.Dispose();
}

/// <summary>How one attempt ended, as the metric's <c>outcome</c> tag.</summary>
public enum DeliveryOutcome
{
    Succeeded,
    FailedRetrying,
    GaveUp,
    Blocked,
}

/// <summary>The wire names of <see cref="DeliveryOutcome"/> (metric tags).</summary>
public static class DeliveryOutcomeTags
{
    public static string Tag(this DeliveryOutcome o) => o switch
    {
        DeliveryOutcome.Succeeded => "succeeded",
        DeliveryOutcome.FailedRetrying => "failed_retrying",
        DeliveryOutcome.GaveUp => "gave_up",
        _ => "blocked",
    };
}
