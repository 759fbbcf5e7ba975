using System.Text.Json;

namespace JobQueue.Client.Hosting;

/// <summary>
/// Runs the jobs of one type for <see cref="Microsoft.Extensions.DependencyInjection.JobQueueWorkerServiceCollectionExtensions.AddJobQueueWorker"/>
/// (resolved from a DI scope of its own for each job). What it returns is the job's result (serialised to JSON;
/// null: none). Throwing fails the attempt, retried while attempts are left; a <see cref="NonRetryableJobException"/>
/// fails the job for good. The token fires when the job is cancelled, its lease is lost, or the host stops and its
/// shutdown timeout has passed.
/// </summary>
public interface IJobQueueHandler
{
    Task<object?> HandleAsync(JobContext context, CancellationToken cancellationToken);
}

/// <summary>An <see cref="IJobQueueHandler"/> that gets the job's payload deserialised as <typeparamref name="TPayload"/>.</summary>
public interface IJobQueueHandler<TPayload> : IJobQueueHandler
{
    Task<object?> HandleAsync(TPayload payload, JobContext context, CancellationToken cancellationToken);

    Task<object?> IJobQueueHandler.HandleAsync(JobContext context, CancellationToken cancellationToken) =>
        HandleAsync(context.Job.Payload.Deserialize<TPayload>(context.SerializerOptions)!, context, cancellationToken);
}

/// <summary>Thrown by a handler for a failure that another attempt cannot fix (bad input): the job goes to the dead-letter queue at once.</summary>
public sealed class NonRetryableJobException : Exception
{
    public NonRetryableJobException()
    {
    }

    public NonRetryableJobException(string message)
        : base(message)
    {
    }

    public NonRetryableJobException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The job a handler runs, and a way to report its progress (which also extends its lease at once).</summary>
public sealed class JobContext
{
    private readonly Func<JsonElement?, CancellationToken, Task> _heartbeat;

    internal JobContext(LeasedJob job, JsonSerializerOptions serializerOptions, Func<JsonElement?, CancellationToken, Task> heartbeat)
    {
        Job = job;
        SerializerOptions = serializerOptions;
        _heartbeat = heartbeat;
    }

    /// <summary>The job, as leased (its <see cref="Job.Attempts"/> counts this attempt).</summary>
    public LeasedJob Job { get; }

    /// <summary>How payloads, results and progress are (de)serialised (<see cref="JobQueueWorkerOptions.SerializerOptions"/>).</summary>
    public JsonSerializerOptions SerializerOptions { get; }

    /// <summary>Sends a heartbeat now with this progress (any JSON-serialisable value), shown on the job.</summary>
    public Task ReportProgressAsync(object? progress, CancellationToken cancellationToken = default) =>
        _heartbeat(progress is null ? null : JsonSerializer.SerializeToElement(progress, progress.GetType(), SerializerOptions), cancellationToken);
}
