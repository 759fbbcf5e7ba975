using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Api.Gateway.Extensions;

/// <summary>
/// Healthy when every replica of a service answers its own <c>/health</c> with 200 within two seconds, so the
/// gateway's /health says "degraded" when a service behind it is down or has lost Postgres or Redis.
/// </summary>
internal sealed class DownstreamHealthCheck(HttpClient client, IReadOnlyList<string> addresses) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failures = await Task.WhenAll(addresses.Select(a => ProbeAsync(a, cancellationToken)));
        var failed = failures.Where(f => f is not null).ToList();
        return failed.Count == 0 ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(string.Join("; ", failed));
    }

    private async Task<string?> ProbeAsync(string address, CancellationToken ct)
    {
        try
        {
            using var response = await client.GetAsync(address + "/health", HttpCompletionOption.ResponseHeadersRead, ct);
            return response.IsSuccessStatusCode ? null : $"{address} answered {(int)response.StatusCode}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return $"{address} unreachable: {(ex is TaskCanceledException ? "timed out" : ex.Message)}";
        }
    }
}
