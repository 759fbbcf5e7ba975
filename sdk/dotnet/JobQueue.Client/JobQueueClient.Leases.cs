using System.Text.Json;

namespace JobQueue.Client;

/// <summary>The lease protocol of remote workers; <c>AddJobQueueWorker</c> drives it for a host.</summary>
public sealed partial class JobQueueClient
{
    /// <summary>POST /api/v1/workers/lease: up to <see cref="LeaseRequest.Max"/> jobs of these types, waiting up to <see cref="LeaseRequest.WaitSeconds"/> for one.</summary>
    public async Task<IReadOnlyList<LeasedJob>> LeaseAsync(LeaseRequest request, CancellationToken cancellationToken = default) =>
        await PostAsync("/api/v1/workers/lease", request, Json.LeaseRequest, Json.ListLeasedJob, cancellationToken);

    /// <summary>POST /api/v1/jobs/{id}/heartbeat: extends the lease, records progress, says whether a cancel was asked for (409: the lease is lost).</summary>
    public Task<HeartbeatResult> HeartbeatAsync(Guid jobId, string leaseToken, JsonElement? progress = null, int? leaseSeconds = null, CancellationToken cancellationToken = default) =>
        PostAsync($"/api/v1/jobs/{Id(jobId)}/heartbeat", new HeartbeatRequest(leaseToken, progress, leaseSeconds), Json.HeartbeatRequest, Json.HeartbeatResult, cancellationToken);

    /// <summary>POST /api/v1/jobs/{id}/complete: the job completed with this result.</summary>
    public Task<Job> CompleteAsync(Guid jobId, string leaseToken, JsonElement? result = null, CancellationToken cancellationToken = default) =>
        PostAsync($"/api/v1/jobs/{Id(jobId)}/complete", new CompleteRequest(leaseToken, result), Json.CompleteRequest, Json.Job, cancellationToken);

    /// <summary>POST /api/v1/jobs/{id}/fail: the attempt failed; retried while attempts are left unless not <paramref name="retryable"/>.</summary>
    public Task<Job> FailAsync(Guid jobId, string leaseToken, string error, bool retryable = true, CancellationToken cancellationToken = default) =>
        PostAsync($"/api/v1/jobs/{Id(jobId)}/fail", new FailRequest(leaseToken, error, retryable), Json.FailRequest, Json.Job, cancellationToken);

    /// <summary>DELETE /api/v1/workers/{id}: this remote worker has stopped (shown as <c>stopped</c>).</summary>
    public async Task StopWorkerAsync(string workerId, CancellationToken cancellationToken = default)
    {
        using var response = await SendRawAsync(HttpMethod.Delete, $"/api/v1/workers/{Uri.EscapeDataString(workerId)}", null, cancellationToken);
        await ThrowIfErrorAsync(response, cancellationToken);
    }
}
