namespace JobQueue.Testing;

/// <summary>
/// Waiting for real processes to reach a state (a job completed, a worker gone), polling every 50 ms: the wait ends
/// as soon as the condition holds, and a timeout fails with what was awaited. Not a sleep standing in for an
/// assertion. Use with <c>using static JobQueue.Testing.Polling;</c>.
/// </summary>
public static class Polling
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>Polls <paramref name="condition"/> until it returns true.</summary>
    /// <param name="condition">Checked every 50 ms; an exception counts as false (and is reported on timeout).</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="what">What is awaited, for the failure message: "job 42 is completed".</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="TimeoutException">The condition did not hold within <paramref name="timeout"/>.</exception>
    public static async Task WaitUntil(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                last = e;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException(
                    $"Timed out after {timeout.TotalSeconds:0.#} s waiting until {what}." + (last is null ? string.Empty : $" Last error: {last.GetType().Name}: {last.Message}"),
                    last);
            }

            await Task.Delay(Interval, cancellationToken);
        }
    }

    /// <inheritdoc cref="WaitUntil(Func{Task{bool}}, TimeSpan, string, CancellationToken)"/>
    public static Task WaitUntil(Func<bool> condition, TimeSpan timeout, string what, CancellationToken cancellationToken = default) =>
        WaitUntil(() => Task.FromResult(condition()), timeout, what, cancellationToken);
}
