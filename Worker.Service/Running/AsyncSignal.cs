namespace Worker.Service.Running;

/// <summary>
/// An auto-reset event for one async waiter: <see cref="Set"/> wakes it (or the next wait returns at once), and
/// any number of sets before the wait collapse into one. Wake-ups from Redis and freed slots go through it, so the
/// claim loop sleeps without polling and a set that arrives during a claim is not lost.
/// </summary>
internal sealed class AsyncSignal : IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);
    private readonly Lock _gate = new();

    public void Set()
    {
        // Only Set raises the count, and only under the lock, so it never exceeds 1 (no SemaphoreFullException).
        lock (_gate)
        {
            if (_semaphore.CurrentCount == 0)
            {
                _semaphore.Release();
            }
        }
    }

    /// <summary>True when set, false on timeout.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _semaphore.WaitAsync(timeout, ct);

    public void Dispose() => _semaphore.Dispose();
}
