using System.Runtime.CompilerServices;
using System.Text.Json;

namespace JobQueue.Client;

public sealed partial class JobQueueClient
{
    /// <summary>POST /api/v1/jobs: enqueues one job (committed before the answer).</summary>
    public Task<Job> EnqueueAsync(EnqueueRequest request, CancellationToken cancellationToken = default) =>
        PostAsync("/api/v1/jobs", request, Json.EnqueueRequest, Json.Job, cancellationToken);

    /// <summary>POST /api/v1/jobs/batch: 1–500 jobs in one transaction; one invalid item refuses them all.</summary>
    public async Task<IReadOnlyList<Job>> EnqueueBatchAsync(IEnumerable<EnqueueRequest> requests, CancellationToken cancellationToken = default) =>
        await PostAsync("/api/v1/jobs/batch", requests.ToList(), Json.ListEnqueueRequest, Json.ListJob, cancellationToken);

    /// <summary>GET /api/v1/jobs/{id}.</summary>
    public Task<Job> GetJobAsync(Guid id, CancellationToken cancellationToken = default) =>
        GetAsync($"/api/v1/jobs/{Id(id)}", Json.Job, cancellationToken);

    /// <summary>GET /api/v1/jobs: one page by offset, with the total count.</summary>
    public Task<Page<Job>> ListJobsAsync(JobQuery? query = null, CancellationToken cancellationToken = default) =>
        SendPageAsync(JobsPath("/api/v1/jobs", query, cursor: null, offset: query?.Offset), Json.ListJob, cancellationToken);

    /// <summary>
    /// GET /api/v1/jobs/cursor, page after page (keyset paging: stable while jobs are being added), for as long as
    /// the caller reads. <see cref="JobQuery.Limit"/> is the page size.
    /// </summary>
    public async IAsyncEnumerable<Job> EnumerateJobsAsync(JobQuery? query = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? cursor = null;
        JobCursorPage page;
        do
        {
            page = await GetAsync(JobsPath("/api/v1/jobs/cursor", query, cursor, offset: null), Json.JobCursorPage, cancellationToken);
            foreach (var job in page.Items)
            {
                yield return job;
            }

            cursor = page.NextCursor;
        }
        while (page.HasMore && cursor is not null);
    }

    /// <summary>GET /api/v1/jobs/{id}/result: the handler's result as it stored it; null while there is none (204).</summary>
    public async Task<JsonElement?> GetResultAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var response = await SendRawAsync(HttpMethod.Get, $"/api/v1/jobs/{Id(id)}/result", null, cancellationToken);
        await ThrowIfErrorAsync(response, cancellationToken);
        if (IsNoContent(response))
        {
            return null;
        }

        using var result = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
        return result.RootElement.Clone();
    }

    /// <summary>GET /api/v1/jobs/{id}/attempts: every attempt, oldest first.</summary>
    public async Task<IReadOnlyList<JobAttempt>> GetAttemptsAsync(Guid id, CancellationToken cancellationToken = default) =>
        (await GetAsync($"/api/v1/jobs/{Id(id)}/attempts", Json.JobAttemptList, cancellationToken)).Items;

    /// <summary>DELETE /api/v1/jobs/{id}: a waiting job is cancelled at once; a running one is asked to stop.</summary>
    public Task<CancelResult> CancelJobAsync(Guid id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"/api/v1/jobs/{Id(id)}", null, Json.CancelResult, cancellationToken);

    /// <summary>POST /api/v1/jobs/{id}/retry: a failed or dead job starts over (409 otherwise).</summary>
    public Task<Job> RetryJobAsync(Guid id, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"/api/v1/jobs/{Id(id)}/retry", null, Json.Job, cancellationToken);

    /// <summary>DELETE /api/v1/jobs?before=: deletes the caller's jobs that ended before this time.</summary>
    public Task<PurgeResult> PurgeJobsAsync(DateTimeOffset before, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, WithQuery("/api/v1/jobs", ("before", Time(before))), null, Json.PurgeResult, cancellationToken);

    /// <summary>GET /api/v1/dlq: the dead jobs (with <paramref name="includeRequeued"/>, also those requeued).</summary>
    public Task<Page<DlqEntry>> ListDeadLettersAsync(bool includeRequeued = false, int? limit = null, int? offset = null, CancellationToken cancellationToken = default) =>
        SendPageAsync(WithQuery("/api/v1/dlq", ("include_requeued", includeRequeued ? "true" : null), ("limit", Number(limit)), ("offset", Number(offset))),
            Json.ListDlqEntry, cancellationToken);

    /// <summary>POST /api/v1/dlq/{id}/requeue: a fresh job from a dead-letter entry (409 when already requeued).</summary>
    public Task<RequeueResult> RequeueDeadLetterAsync(Guid entryId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, $"/api/v1/dlq/{Id(entryId)}/requeue", null, Json.RequeueResult, cancellationToken);

    private static string JobsPath(string path, JobQuery? query, string? cursor, int? offset) =>
        WithQuery(path,
            ("cursor", cursor),
            ("status", query?.Status is { } status ? JsonSerializer.Serialize(status, JobQueueJsonContext.Default.JobStatus).Trim('"') : null),
            ("type", query?.Type),
            ("queue", query?.Queue),
            ("tags", query?.Tags is { Count: > 0 } tags ? string.Join(',', tags.Select(t => $"{t.Key}:{t.Value}")) : null),
            ("limit", Number(query?.Limit)),
            ("offset", Number(offset)));
}
