using JobQueue.Storage.Postgres;

namespace Webhook.Dispatcher.Delivery;

/// <summary>
/// Keeps the delivery log bounded: every <see cref="WebhookOptions.CleanupInterval"/> it deletes deliveries that
/// succeeded or were given up longer than <see cref="WebhookOptions.DeliveryRetention"/> ago, with their attempts,
/// in batches. Every replica runs it; the purge skips rows another replica is deleting, so that is safe and cheap.
/// </summary>
public sealed class DeliveryLogCleaner(WebhookStore store, WebhookOptions options, TimeProvider time, ILogger<DeliveryLogCleaner> logger) : BackgroundService
{
    private const int Batch = 1000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.DeliveryRetention == TimeSpan.Zero)
        {
            return; // kept for ever
        }

        using var timer = new PeriodicTimer(options.CleanupInterval, time);
        do
        {
            try
            {
                var before = time.GetUtcNow().UtcDateTime - options.DeliveryRetention;
                int purged, total = 0;
                do
                {
                    purged = await store.DeliveriesPurgeAsync(before, Batch, stoppingToken);
                    total += purged;
                }
                while (purged == Batch && !stoppingToken.IsCancellationRequested);

                if (total > 0)
                {
                    logger.Purged(total, options.DeliveryRetention);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.RoundFailed(options.CleanupInterval, "delivery log purge: " + ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
