using JobQueue.Storage.Postgres;
using JobQueue.Storage.Redis;
using StackExchange.Redis;

namespace Webhook.Dispatcher.Delivery;

/// <summary>
/// Claims due deliveries and sends them, up to <see cref="WebhookOptions.Concurrency"/> at a time. Every replica runs
/// one: a claim is a lease in Postgres (<c>FOR UPDATE SKIP LOCKED</c>), so replicas share the work and a delivery
/// held by a replica that died is taken by another once its lease expires (at-least-once; receivers drop repeats by
/// <c>X-Webhook-Id</c>). It sleeps until the next delivery is due, woken early by the relay on
/// <see cref="RedisKeys.WebhookWakeChannel"/> or by a finished delivery, and polls as a safety net.
/// </summary>
public sealed class DeliveryLoop(
    WebhookStore store, WebhookSender sender, WebhookOptions options, WebhookMetrics metrics, SystemMetricsStore systemMetrics,
    TimeProvider time, IConnectionMultiplexer redis, RedisKeys keys, ILogger<DeliveryLoop> logger) : BackgroundService
{
    private static readonly TimeSpan MinWait = TimeSpan.FromMilliseconds(20);
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly HashSet<Task> _inFlight = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await SubscribeAsync();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                TimeSpan wait;
                try
                {
                    wait = await RoundAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.RoundFailed(options.ErrorBackoff, ex.Message);
                    wait = options.ErrorBackoff;
                }

                await _wake.WaitAsync(wait, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Deliveries in flight finish (each within the timeout) so their outcome is recorded, not redone.
            await Task.WhenAll(_inFlight);
        }
    }

    /// <summary>Starts what is due, up to the free slots, and says how long to sleep.</summary>
    private async Task<TimeSpan> RoundAsync(CancellationToken ct)
    {
        _inFlight.RemoveWhere(t => t.IsCompleted);
        var free = options.Concurrency - _inFlight.Count;
        if (free <= 0)
        {
            return options.PollInterval; // a finished delivery wakes us
        }

        var now = time.GetUtcNow().UtcDateTime;
        var claimed = await store.DeliveriesClaimAsync(new DeliveriesClaimParams(now, now + options.Lease, free), ct);
        foreach (var d in claimed)
        {
            _inFlight.Add(DeliverAsync(d));
        }

        if (claimed.Count == free)
        {
            return TimeSpan.Zero; // more may be due
        }

        var next = await store.DeliveriesEarliestDueAsync(ct);
        var untilNext = next is { } due ? due - time.GetUtcNow().UtcDateTime : options.PollInterval;
        return untilNext < MinWait ? MinWait : untilNext > options.PollInterval ? options.PollInterval : untilNext;
    }

    private async Task DeliverAsync(ClaimedDelivery d)
    {
        await Task.Yield();
        try
        {
            logger.Sending(d.Event, d.Id, d.WebhookId, d.Attempt);
            // Not the stopping token: a delivery under way is finished (bounded by the timeout) and recorded.
            var result = await sender.SendAsync(d, CancellationToken.None);
            var now = time.GetUtcNow().UtcDateTime;
            var retryAt = result.Succeeded || result.Blocked ? null : options.Policy.RetryAt(d.Attempt, now, Random.Shared.NextDouble());
            var recorded = await store.DeliveriesRecordAsync(new DeliveriesRecordParams(
                d.Id, d.WebhookId, d.Attempt, result.StartedAt, result.LatencyMs, result.StatusCode, result.Error, result.Succeeded,
                now, retryAt, options.Policy.DisableAfterConsecutiveFailures), CancellationToken.None);
            if (Report(d, result, retryAt, recorded) is { } outcome)
            {
                metrics.Count(outcome);
                // The cluster-wide count behind the gateway's /metrics; best effort (Redis may be down), the
                // delivery itself is already recorded in Postgres.
                try
                {
                    await systemMetrics.RecordWebhookDeliveryAsync(outcome.Tag());
                }
                catch (RedisException ex)
                {
                    logger.SystemMetricFailed(ex.Message);
                }
            }
        }
        catch (Exception ex)
        {
            // Not recorded (Postgres unreachable, an unreadable payload): the lease expires and the delivery is tried again.
            logger.RoundFailed(options.ErrorBackoff, $"delivery {d.Id}: {ex.Message}");
        }
        finally
        {
            Wake();
        }
    }

    /// <summary>Logs what the attempt did; its outcome, or null when the lease had been lost (the other attempt counts).</summary>
    private DeliveryOutcome? Report(ClaimedDelivery d, AttemptResult result, DateTime? retryAt, DeliveryRecordResult recorded)
    {
        if (recorded.Status is null)
        {
            logger.LeaseLost(d.Id);
            return null;
        }

        if (recorded.Disabled)
        {
            logger.WebhookDisabled(d.WebhookId, options.Policy.DisableAfterConsecutiveFailures);
        }

        if (result.Succeeded)
        {
            logger.Delivered(d.Event, d.Id, d.WebhookId, result.StatusCode ?? 0, result.LatencyMs, d.Attempt);
            return DeliveryOutcome.Succeeded;
        }

        if (result.Blocked)
        {
            logger.DeliveryBlocked(d.Id, d.WebhookId, result.Error!);
            return DeliveryOutcome.Blocked;
        }

        if (retryAt is { } at)
        {
            logger.DeliveryRetrying(d.Id, d.WebhookId, d.Attempt, at, result.Error!);
            return DeliveryOutcome.FailedRetrying;
        }

        logger.DeliveryGaveUp(d.Id, d.WebhookId, d.Attempt, result.Error!);
        return DeliveryOutcome.GaveUp;
    }

    private async Task SubscribeAsync()
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(keys.WebhookWakeChannel, (_, _) => Wake());
        }
        catch (RedisException ex)
        {
            logger.WakeSubscribeFailed(options.PollInterval, ex.Message);
        }
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
