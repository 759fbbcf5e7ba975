namespace Api.Gateway.Metrics;

/// <summary>
/// One source of <c>/metrics</c> values (Redis or Postgres), read at most once per <paramref name="freshFor"/>
/// whatever the number of scrapers, and within <paramref name="timeout"/>: a source that is down or hangs costs a
/// scrape at most that long, and then that source's values are missing (with <c>jobqueue_metrics_source_up 0</c>)
/// while the rest is served. A failure is remembered as long as a success, so an outage is not retried per scrape.
/// </summary>
internal sealed class CachedRead<T>(string source, Func<CancellationToken, Task<T>> read, TimeSpan freshFor, TimeSpan timeout, TimeProvider time, ILogger logger)
    where T : class
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (T? Value, DateTimeOffset At)? _last;
    private bool _up = true;

    public string Source => source;

    /// <summary>The current value, or null while the source is down.</summary>
    public async Task<T?> GetAsync(CancellationToken ct)
    {
        if (Fresh() is { } cached)
        {
            return cached.Value;
        }

        await _gate.WaitAsync(ct);
        try
        {
            // Another scrape may have refreshed it while this one waited.
            if (Fresh() is { } refreshed)
            {
                return refreshed.Value;
            }

            T? value;
            try
            {
                value = await read(ct).WaitAsync(timeout, ct);
                if (!_up)
                {
                    Log.MetricsSourceBack(logger, source);
                }

                _up = true;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                // Logged once per outage, not per scrape.
                if (_up)
                {
                    Log.MetricsSourceDown(logger, source, e.Message, e);
                }

                _up = false;
                value = null;
            }

            _last = (value, time.GetUtcNow());
            return value;
        }
        finally
        {
            _gate.Release();
        }
    }

    private (T? Value, DateTimeOffset At)? Fresh() =>
        _last is { } last && time.GetUtcNow() - last.At < freshFor ? last : null;
}
