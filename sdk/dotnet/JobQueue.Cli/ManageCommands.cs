using System.CommandLine;
using JobQueue.Client;
using Spectre.Console;
using static JobQueue.Cli.JobCommands;

namespace JobQueue.Cli;

/// <summary>cron, webhook, keys.</summary>
internal static class ManageCommands
{
    private static readonly JobQueueJsonContext Json = JobQueueJsonContext.Default;

    public static IEnumerable<Command> All() => [Cron(), Webhook(), Keys()];

    private static Command Cron()
    {
        var list = new Command("list", "List the cron schedules");
        Session.Bind(list, async (session, parse, ct) =>
        {
            var schedules = await session.Client.ListCronAsync(ct);
            if (session.Json)
            {
                Session.PrintJson(schedules.ToList(), Json.ListCronSchedule);
                return;
            }

            AnsiConsole.Write(Session.Table(
                ["ID", "NAME", "SCHEDULE", "TIMEZONE", "JOB TYPE", "ENABLED", "NEXT RUN", "LAST RUN"],
                schedules.Select(c => new[] { c.Id.ToString(), c.Name, c.CronExpression, c.Timezone, c.JobType, c.Enabled ? "yes" : "paused", Time(c.NextRunAt), c.LastRunAt is { } l ? Time(l) : "" })));
        });

        var name = new Argument<string>("name") { Description = "A name, unique in the tenant" };
        var type = new Option<string>("--type") { Description = "The job type to enqueue", Required = true };
        var schedule = new Option<string>("--schedule") { Description = "Cron expression: 5 fields, or 6 with seconds first", Required = true };
        var timezone = new Option<string?>("--timezone") { Description = "IANA time zone (UTC)" };
        var payload = new Option<string?>("--payload") { Description = "The jobs' payload, a JSON object" };
        var queue = new Option<string?>("--queue") { Description = "critical, default or bulk" };
        var priority = new Option<int?>("--priority") { Description = "1–10 (5)" };
        var maxAttempts = new Option<int?>("--max-attempts") { Description = "1–100 (5)" };
        var tags = new Option<string[]>("--tag") { Description = "A tag of the jobs, key=value (repeatable)" };
        var paused = new Option<bool>("--paused") { Description = "Create it paused" };
        var create = new Command("create", "Create a cron schedule") { name, type, schedule, timezone, payload, queue, priority, maxAttempts, tags, paused };
        Session.Bind(create, async (session, parse, ct) =>
        {
            var created = await session.Client.CreateCronAsync(new CreateCronRequest
            {
                Name = parse.GetRequiredValue(name),
                JobType = parse.GetRequiredValue(type),
                CronExpression = parse.GetRequiredValue(schedule),
                Timezone = parse.GetValue(timezone),
                Payload = Parsing.Json(parse.GetValue(payload), null, "payload"),
                QueueName = parse.GetValue(queue),
                Priority = parse.GetValue(priority),
                MaxAttempts = parse.GetValue(maxAttempts),
                Tags = Parsing.Tags(parse.GetValue(tags)),
                Enabled = parse.GetValue(paused) ? false : null,
            }, ct);
            PrintSchedule(session, created);
        });

        Command Toggle(string verb, bool enabled, string description)
        {
            var id = new Argument<Guid>("id") { Description = "The schedule's id" };
            var command = new Command(verb, description) { id };
            Session.Bind(command, async (session, parse, ct) =>
                PrintSchedule(session, await session.Client.UpdateCronAsync(parse.GetValue(id), new UpdateCronRequest { Enabled = enabled }, ct)));
            return command;
        }

        var deleteId = new Argument<Guid>("id") { Description = "The schedule's id" };
        var delete = new Command("delete", "Delete a cron schedule (the jobs it fired stay)") { deleteId };
        Session.Bind(delete, async (session, parse, ct) => PrintDeleted(session, await session.Client.DeleteCronAsync(parse.GetValue(deleteId), ct)));

        return new Command("cron", "Cron schedules")
        {
            list, create, Toggle("pause", false, "Pause a schedule"), Toggle("resume", true, "Resume a paused schedule (its next run counted from now)"), delete,
        };
    }

    private static void PrintSchedule(Session session, CronSchedule schedule)
    {
        if (session.Json)
        {
            Session.PrintJson(schedule, Json.CronSchedule);
        }
        else
        {
            Console.WriteLine($"{schedule.Id} {schedule.Name} {(schedule.Enabled ? "enabled" : "paused")}, next run {Time(schedule.NextRunAt)}");
        }
    }

    private static Command Webhook()
    {
        var list = new Command("list", "List the webhooks");
        Session.Bind(list, async (session, parse, ct) =>
        {
            var hooks = await session.Client.ListWebhooksAsync(ct);
            if (session.Json)
            {
                Session.PrintJson(hooks.ToList(), Json.ListWebhook);
                return;
            }

            AnsiConsole.Write(Session.Table(
                ["ID", "URL", "EVENTS", "ENABLED", "FAILURES", "DESCRIPTION"],
                hooks.Select(h => new[] { h.Id.ToString(), h.Url, string.Join(',', h.Events), h.Enabled ? "yes" : $"no ({h.DisabledReason})", Num(h.ConsecutiveFailures), h.Description })));
        });

        var url = new Argument<string>("url") { Description = "Where to POST the events" };
        var events = new Option<string[]>("--event") { Description = "An event to send (repeatable; default job.completed, job.failed, job.dead)" };
        var secret = new Option<string?>("--secret") { Description = "The signing secret (16–256 characters; generated and printed once if absent)" };
        var description = new Option<string?>("--description") { Description = "What it is for" };
        var create = new Command("create", "Subscribe a URL to job events") { url, events, secret, description };
        Session.Bind(create, async (session, parse, ct) =>
        {
            var eventNames = parse.GetValue(events);
            var hook = await session.Client.CreateWebhookAsync(new CreateWebhookRequest
            {
                Url = parse.GetRequiredValue(url),
                Events = eventNames is { Length: > 0 } ? eventNames : null,
                Secret = parse.GetValue(secret),
                Description = parse.GetValue(description),
            }, ct);
            if (session.Json)
            {
                Session.PrintJson(hook, Json.Webhook);
                return;
            }

            Console.WriteLine($"{hook.Id} {hook.Url} ({string.Join(", ", hook.Events)})");
            if (hook.Secret is not null)
            {
                Console.WriteLine($"secret: {hook.Secret}  (shown once: keep it)");
            }
        });

        var deleteId = new Argument<Guid>("id") { Description = "The webhook's id" };
        var delete = new Command("delete", "Delete a webhook and its delivery log") { deleteId };
        Session.Bind(delete, async (session, parse, ct) => PrintDeleted(session, await session.Client.DeleteWebhookAsync(parse.GetValue(deleteId), ct)));

        var testId = new Argument<Guid>("id") { Description = "The webhook's id" };
        var test = new Command("test", "Send a signed webhook.test delivery") { testId };
        Session.Bind(test, async (session, parse, ct) =>
        {
            var result = await session.Client.TestWebhookAsync(parse.GetValue(testId), ct);
            if (session.Json)
            {
                Session.PrintJson(result, Json.WebhookTestResult);
            }
            else
            {
                Console.WriteLine($"queued {result.Event} delivery {result.DeliveryId}");
            }
        });
        return new Command("webhook", "Webhook subscriptions") { list, create, delete, test };
    }

    private static Command Keys()
    {
        var list = new Command("list", "List the account's API keys");
        Session.Bind(list, async (session, parse, ct) =>
        {
            var keys = await session.Client.ListKeysAsync(ct);
            if (session.Json)
            {
                Session.PrintJson(keys.ToList(), Json.ListApiKey);
                return;
            }

            AnsiConsole.Write(Session.Table(
                ["ID", "NAME", "PREFIX", "TIER", "ENABLED", "CREATED"],
                keys.Select(k => new[] { k.Id.ToString(), k.Name, k.KeyPrefix, k.Tier, k.Enabled ? "yes" : "no", Time(k.CreatedAt) })));
        });

        var name = new Argument<string?>("name") { Description = "A name for the key (default)", Arity = ArgumentArity.ZeroOrOne };
        var create = new Command("create", "Make a key (printed once)") { name };
        Session.Bind(create, async (session, parse, ct) =>
        {
            var key = await session.Client.CreateKeyAsync(parse.GetValue(name), ct);
            if (session.Json)
            {
                Session.PrintJson(key, Json.CreatedApiKey);
            }
            else
            {
                Console.WriteLine(key.Key);
                Console.Error.WriteLine($"key {key.Id} ({key.Name}, {key.Tier}): shown once, keep it");
            }
        });

        var id = new Argument<Guid>("id") { Description = "The key's id (jobq keys list)" };
        var delete = new Command("delete", "Delete a key: it stops working at once") { id };
        Session.Bind(delete, async (session, parse, ct) => PrintDeleted(session, await session.Client.DeleteKeyAsync(parse.GetValue(id), ct)));
        return new Command("keys", "API keys of the account") { list, create, delete };
    }

    private static void PrintDeleted(Session session, Deleted deleted)
    {
        if (session.Json)
        {
            Session.PrintJson(deleted, Json.Deleted);
        }
        else
        {
            Console.WriteLine($"{deleted.Id} {deleted.Status}");
        }
    }
}
