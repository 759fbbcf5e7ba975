using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using JobQueue.Client;
using Spectre.Console;

namespace JobQueue.Cli;

/// <summary>enqueue, list, show, cancel, retry, purge, tail, dlq.</summary>
internal static class JobCommands
{
    private static readonly JobQueueJsonContext Json = JobQueueJsonContext.Default;

    /// <summary>The batch route's chunk: a transaction each, and a progress step each.</summary>
    private const int BatchChunk = 100;

    public static IEnumerable<Command> All() => [Enqueue(), List(), Show(), Cancel(), Retry(), Purge(), Tail(), Dlq()];

    private static Command Enqueue()
    {
        var type = new Argument<string?>("type") { Description = "The job type (echo, email.send, …)", Arity = ArgumentArity.ZeroOrOne };
        var payload = new Option<string?>("--payload") { Description = "The payload, a JSON object" };
        var payloadFile = new Option<string?>("--payload-file") { Description = "Read the payload from a file (- for stdin)" };
        var priority = new Option<int?>("--priority") { Description = "1–10 (5)" };
        var queue = new Option<string?>("--queue") { Description = "critical, default or bulk" };
        queue.AcceptOnlyFromAmong("critical", "default", "bulk");
        var delay = new Option<TimeSpan?>("--delay") { Description = "Run no earlier than this from now (30s, 5m, 2h)", CustomParser = r => Parsing.Duration(r) };
        var maxAttempts = new Option<int?>("--max-attempts") { Description = "1–100 (5)" };
        var timeout = new Option<int?>("--timeout") { Description = "Seconds one attempt may run" };
        var tags = new Option<string[]>("--tag") { Description = "A tag key=value (repeatable)", AllowMultipleArgumentsPerToken = false };
        var batch = new Option<string?>("--batch") { Description = "Enqueue every line of a JSON-lines file (each an enqueue request), 100 per request" };
        var command = new Command("enqueue", "Enqueue a job (prints its id), or a batch from a JSON-lines file")
        {
            type, payload, payloadFile, priority, queue, delay, maxAttempts, timeout, tags, batch,
        };
        Session.Bind(command, async (session, parse, ct) =>
        {
            if (parse.GetValue(batch) is { } file)
            {
                if (parse.GetValue(type) is not null)
                {
                    throw new UsageException("give a job type or --batch, not both");
                }

                await EnqueueBatchAsync(session, file, ct);
                return;
            }

            var request = new EnqueueRequest
            {
                Type = parse.GetValue(type) ?? throw new UsageException("enqueue needs a job type (or --batch FILE)"),
                Payload = Parsing.Json(parse.GetValue(payload), parse.GetValue(payloadFile), "payload"),
                Priority = parse.GetValue(priority),
                QueueName = parse.GetValue(queue),
                ScheduledAt = parse.GetValue(delay) is { } d ? DateTimeOffset.UtcNow + d : null,
                MaxAttempts = parse.GetValue(maxAttempts),
                TimeoutSeconds = parse.GetValue(timeout),
                Tags = Parsing.Tags(parse.GetValue(tags)),
            };
            var job = await session.Client.EnqueueAsync(request, ct);
            if (session.Json)
            {
                Session.PrintJson(job, Json.Job);
            }
            else
            {
                Console.WriteLine(job.Id);
            }
        });
        return command;
    }

    private static async Task EnqueueBatchAsync(Session session, string file, CancellationToken ct)
    {
        var requests = new List<EnqueueRequest>();
        var lineNumber = 0;
        foreach (var line in Parsing.ReadFile(file).Split('\n'))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                requests.Add(JsonSerializer.Deserialize(line, Json.EnqueueRequest) ?? throw new JsonException("null"));
            }
            catch (JsonException e)
            {
                throw new UsageException($"{file}:{lineNumber}: not an enqueue request ({e.Message})");
            }
        }

        var jobs = new List<Job>(requests.Count);
        var chunks = requests.Chunk(BatchChunk).ToList();
        if (!session.Json && AnsiConsole.Profile.Capabilities.Interactive)
        {
            await AnsiConsole.Progress().StartAsync(async progress =>
            {
                var task = progress.AddTask($"enqueue {requests.Count} jobs", maxValue: requests.Count);
                foreach (var chunk in chunks)
                {
                    jobs.AddRange(await session.Client.EnqueueBatchAsync(chunk, ct));
                    task.Increment(chunk.Length);
                }
            });
        }
        else
        {
            foreach (var chunk in chunks)
            {
                jobs.AddRange(await session.Client.EnqueueBatchAsync(chunk, ct));
                if (!session.Json)
                {
                    Console.WriteLine($"enqueued {jobs.Count}/{requests.Count}");
                }
            }
        }

        if (session.Json)
        {
            Session.PrintJson(jobs, Json.ListJob);
        }
        else
        {
            Console.WriteLine($"enqueued {jobs.Count} jobs");
        }
    }

    private static Command List()
    {
        var status = new Option<JobStatus?>("--status") { Description = "pending, running, completed, failed, dead or cancelled", CustomParser = ParseStatus };
        var type = new Option<string?>("--type") { Description = "Only this job type" };
        var queue = new Option<string?>("--queue") { Description = "Only this queue" };
        var tags = new Option<string[]>("--tag") { Description = "Only jobs with this tag key=value (repeatable)" };
        var limit = new Option<int>("--limit") { Description = "How many (20, at most 100 unless --all)", DefaultValueFactory = _ => 20 };
        var all = new Option<bool>("--all") { Description = "Every matching job, page after page" };
        var command = new Command("list", "List jobs, newest first") { status, type, queue, tags, limit, all };
        Session.Bind(command, async (session, parse, ct) =>
        {
            var query = new JobQuery
            {
                Status = parse.GetValue(status),
                Type = parse.GetValue(type),
                Queue = parse.GetValue(queue),
                Tags = Parsing.Tags(parse.GetValue(tags)),
                Limit = parse.GetValue(all) ? 100 : parse.GetValue(limit),
            };
            var jobs = new List<Job>();
            if (parse.GetValue(all))
            {
                await foreach (var job in session.Client.EnumerateJobsAsync(query, ct))
                {
                    jobs.Add(job);
                }
            }
            else
            {
                jobs.AddRange((await session.Client.ListJobsAsync(query, ct)).Items);
            }

            if (session.Json)
            {
                Session.PrintJson(jobs, Json.ListJob);
                return;
            }

            AnsiConsole.Write(Session.Table(
                ["ID", "TYPE", "STATUS", "QUEUE", "PRIORITY", "ATTEMPTS", "CREATED"],
                jobs.Select(j => new[] { j.Id.ToString(), j.Type, Wire(j.Status), j.QueueName, Num(j.Priority), $"{j.Attempts}/{j.MaxAttempts}", Time(j.CreatedAt) })));
        });
        return command;
    }

    private static Command Show()
    {
        var id = new Argument<Guid>("id") { Description = "The job's id" };
        var command = new Command("show", "Show a job with its result and every attempt") { id };
        Session.Bind(command, async (session, parse, ct) =>
        {
            var job = await session.Client.GetJobAsync(parse.GetValue(id), ct);
            var attempts = await session.Client.GetAttemptsAsync(job.Id, ct);
            if (session.Json)
            {
                var both = new JsonObject
                {
                    ["job"] = JsonSerializer.SerializeToNode(job, Json.Job),
                    ["attempts"] = JsonSerializer.SerializeToNode(attempts.ToList(), Json.ListJobAttempt),
                };
                Session.PrintJson(both);
                return;
            }

            var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
            void Row(string name, string? value) => grid.AddRow(new Text(name, new Style(decoration: Decoration.Bold)), new Text(value ?? "-"));
            Row("id", job.Id.ToString());
            Row("type", job.Type);
            Row("status", Wire(job.Status));
            Row("queue", job.QueueName);
            Row("priority", Num(job.Priority));
            Row("attempts", $"{job.Attempts}/{job.MaxAttempts}");
            Row("created", Time(job.CreatedAt));
            Row("scheduled", Time(job.ScheduledAt));
            Row("started", job.StartedAt is { } s ? Time(s) : null);
            Row("completed", job.CompletedAt is { } c ? Time(c) : null);
            Row("worker", job.WorkerId);
            Row("tags", job.Tags.Count == 0 ? null : string.Join(", ", job.Tags.Select(t => $"{t.Key}={t.Value}")));
            Row("payload", job.Payload.ValueKind == JsonValueKind.Undefined ? null : job.Payload.GetRawText());
            Row("result", job.Result?.GetRawText());
            Row("error", job.ErrorMessage);
            Row("trace", job.TraceId);
            AnsiConsole.Write(grid);
            AnsiConsole.WriteLine();
            AnsiConsole.Write(Session.Table(
                ["ATTEMPT", "WORKER", "STARTED", "DURATION", "OUTCOME", "ERROR"],
                attempts.Select(a => new[] { Num(a.Attempt), a.WorkerId, Time(a.StartedAt), a.DurationMs is { } ms ? $"{ms:F1} ms" : "", a.Outcome, a.Error })));
        });
        return command;
    }

    private static Command Cancel()
    {
        var id = new Argument<Guid>("id") { Description = "The job's id" };
        var command = new Command("cancel", "Cancel a job: a waiting one at once; a running one is asked to stop") { id };
        Session.Bind(command, async (session, parse, ct) =>
        {
            var result = await session.Client.CancelJobAsync(parse.GetValue(id), ct);
            if (session.Json)
            {
                Session.PrintJson(result, Json.CancelResult);
            }
            else
            {
                Console.WriteLine(result.CancelRequested ? $"{result.Id} is running: asked to stop" : $"{result.Id} {result.Status}");
            }
        });
        return command;
    }

    private static Command Retry()
    {
        var id = new Argument<Guid>("id") { Description = "The job's id" };
        var command = new Command("retry", "Start a failed or dead job over") { id };
        Session.Bind(command, async (session, parse, ct) =>
        {
            var job = await session.Client.RetryJobAsync(parse.GetValue(id), ct);
            if (session.Json)
            {
                Session.PrintJson(job, Json.Job);
            }
            else
            {
                Console.WriteLine($"{job.Id} {Wire(job.Status)}");
            }
        });
        return command;
    }

    private static Command Purge()
    {
        var before = new Option<DateTimeOffset>("--before")
        {
            Description = "Delete the jobs that ended before this time (RFC 3339, or a duration ago: 7d)",
            Required = true,
            CustomParser = r => Parsing.PointInTime(r),
        };
        var command = new Command("purge", "Delete ended jobs (completed, dead, cancelled) older than --before") { before };
        Session.Bind(command, async (session, parse, ct) =>
        {
            var result = await session.Client.PurgeJobsAsync(parse.GetValue(before), ct);
            if (session.Json)
            {
                Session.PrintJson(result, Json.PurgeResult);
            }
            else
            {
                Console.WriteLine($"deleted {result.Deleted} jobs");
            }
        });
        return command;
    }

    private static Command Tail()
    {
        var follow = new Option<bool>("--follow", "-f") { Description = "With --job: keep following after the job has ended" };
        var job = new Option<Guid?>("--job") { Description = "Only this job's events; without -f, stop when it has ended" };
        var command = new Command("tail", "Print job events as they happen (the live stream), until Ctrl+C") { follow, job };
        Session.Bind(command, async (session, parse, ct) =>
        {
            var only = parse.GetValue(job);
            var stopWhenEnded = only is not null && !parse.GetValue(follow);
            string[] types = ["job.enqueued", "job.started", "job.completed", "job.failed", "job.dead", "job.cancelled"];
            await using var stream = await session.Client.OpenEventStreamAsync(types, ct);
            // Connected first, then read the job: it cannot end in between unseen.
            if (stopWhenEnded)
            {
                var current = await session.Client.GetJobAsync(only!.Value, ct);
                if (current.Status is JobStatus.Completed or JobStatus.Dead or JobStatus.Cancelled)
                {
                    Console.WriteLine($"{Time(current.CompletedAt ?? current.CreatedAt)}  job.{Wire(current.Status)}  {current.Id}  {current.Type}  (already ended)");
                    return;
                }
            }

            await foreach (var frame in stream.ReadAllAsync(ct))
            {
                if (only is not null && frame.JobId != only)
                {
                    continue;
                }

                if (session.Json)
                {
                    Console.WriteLine(JsonSerializer.Serialize(frame, Json.LiveFrame));
                }
                else
                {
                    var error = frame.Payload is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? $"  error: {e.GetString()}" : "";
                    Console.WriteLine($"{Time(DateTimeOffset.FromUnixTimeMilliseconds(frame.Ts))}  {frame.Type}  {frame.JobId}  {frame.JobType}  {frame.WorkerId}{error}");
                }

                if (stopWhenEnded && frame.Type is "job.completed" or "job.dead" or "job.cancelled")
                {
                    return;
                }
            }
        });
        return command;
    }

    private static Command Dlq()
    {
        var includeRequeued = new Option<bool>("--include-requeued") { Description = "Also the entries already requeued" };
        var limit = new Option<int?>("--limit") { Description = "How many (20, at most 100)" };
        var list = new Command("list", "List the dead jobs") { includeRequeued, limit };
        Session.Bind(list, async (session, parse, ct) =>
        {
            var page = await session.Client.ListDeadLettersAsync(parse.GetValue(includeRequeued), parse.GetValue(limit), cancellationToken: ct);
            if (session.Json)
            {
                Session.PrintJson(page.Items.ToList(), Json.ListDlqEntry);
                return;
            }

            AnsiConsole.Write(Session.Table(
                ["ENTRY", "JOB", "TYPE", "ATTEMPTS", "DIED", "REQUEUED", "LAST ERROR"],
                page.Items.Select(d => new[] { d.Id.ToString(), d.JobId.ToString(), d.Type, Num(d.TotalAttempts), Time(d.DiedAt), d.Requeued ? "yes" : "no", d.LastError })));
        });
        var id = new Argument<Guid>("entry-id") { Description = "The DLQ entry's id (jobq dlq list)" };
        var requeue = new Command("requeue", "Enqueue a dead job again, as a new job") { id };
        Session.Bind(requeue, async (session, parse, ct) =>
        {
            var result = await session.Client.RequeueDeadLetterAsync(parse.GetValue(id), ct);
            if (session.Json)
            {
                Session.PrintJson(result, Json.RequeueResult);
            }
            else
            {
                Console.WriteLine(result.NewJob.Id);
            }
        });
        return new Command("dlq", "The dead-letter queue") { list, requeue };
    }

    private static JobStatus? ParseStatus(System.CommandLine.Parsing.ArgumentResult result)
    {
        var text = result.Tokens.Single().Value;
        if (Enum.TryParse<JobStatus>(text, ignoreCase: true, out var status) && !int.TryParse(text, out _))
        {
            return status;
        }

        result.AddError($"--status '{text}' is not one of pending, running, completed, failed, dead, cancelled");
        return null;
    }

    internal static string Wire(JobStatus status) => status.ToString().ToLowerInvariant();

    internal static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);

    internal static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
}
