// Enqueues an echo job, waits for it, prints its result and its attempts; then reads every job of the tenant
// through the cursor listing. Configuration: JobQueue__BaseAddress and JobQueue__ApiKey (or appsettings.json's
// "JobQueue" section), or JOBQUEUE_URL and JOBQUEUE_API_KEY.
using System.Text.Json;
using JobQueue.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddJobQueueClient(o =>
{
    o.BaseAddress ??= new Uri(Environment.GetEnvironmentVariable("JOBQUEUE_URL") ?? "http://localhost:8080");
    o.ApiKey ??= Environment.GetEnvironmentVariable("JOBQUEUE_API_KEY");
});
builder.Logging.SetMinimumLevel(LogLevel.Warning);
using var host = builder.Build();
var jobs = host.Services.GetRequiredService<JobQueueClient>();

var job = await jobs.EnqueueAsync(new EnqueueRequest
{
    Type = "echo",
    Payload = JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["to"] = "ada@example.com" }),
    Priority = 8,
    Tags = new Dictionary<string, string> { ["example"] = "readme" },
});
Console.WriteLine($"enqueued {job.Id} ({job.Status})");

while (job.Status is JobStatus.Pending or JobStatus.Running)
{
    await Task.Delay(200);
    job = await jobs.GetJobAsync(job.Id);
}

Console.WriteLine($"{job.Status} after {job.Attempts} attempt(s)");
Console.WriteLine($"result: {await jobs.GetResultAsync(job.Id)}");
foreach (var attempt in await jobs.GetAttemptsAsync(job.Id))
{
    Console.WriteLine($"attempt {attempt.Attempt} on {attempt.WorkerId}: {attempt.Outcome} in {attempt.DurationMs:F1} ms");
}

try
{
    await jobs.GetJobAsync(Guid.NewGuid());
}
catch (JobQueueException e)
{
    Console.WriteLine($"{(int)e.StatusCode}: {e.Message} (request {e.RequestId})");
}

var count = 0;
await foreach (var _ in jobs.EnumerateJobsAsync(new JobQuery { Tags = new Dictionary<string, string> { ["example"] = "readme" }, Limit = 50 }))
{
    count++;
}

Console.WriteLine($"{count} job(s) tagged example:readme");
return job.Status == JobStatus.Completed ? 0 : 1;
