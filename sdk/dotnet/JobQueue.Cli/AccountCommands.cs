using System.CommandLine;
using JobQueue.Client;
using Spectre.Console;
using static JobQueue.Cli.JobCommands;

namespace JobQueue.Cli;

/// <summary>login, config, usage, stats, workers, top.</summary>
internal static class AccountCommands
{
    private static readonly JobQueueJsonContext Json = JobQueueJsonContext.Default;

    public static IEnumerable<Command> All() => [Login(), Config(), UsageCommand(), StatsCommand(), Workers(), Top()];

    private static Command Login()
    {
        var email = new Option<string>("--email") { Description = "The account's e-mail", Required = true };
        var password = new Option<string?>("--password") { Description = "The password (else $JOBQUEUE_PASSWORD, else asked for)" };
        var command = new Command("login", "Log in and store the login token (24 h) in the config file") { email, password };
        Session.Bind(command, async (session, parse, ct) =>
        {
            var secret = parse.GetValue(password) ?? Environment.GetEnvironmentVariable("JOBQUEUE_PASSWORD")
                ?? (Console.IsInputRedirected ? Console.In.ReadLine() : AnsiConsole.Prompt(new TextPrompt<string>("Password:").Secret()))
                ?? throw new UsageException("no password given");
            var login = await session.Client.LoginAsync(new Credentials(parse.GetRequiredValue(email), secret), ct);
            // A stored key would be used before the token; logging in as someone means using their token.
            (CliConfig.Load() with { Url = session.Url, Token = login.Token, ApiKey = null }).Save();
            if (session.Json)
            {
                Session.PrintJson(login, Json.Login);
            }
            else
            {
                Console.WriteLine($"logged in as {login.User.Email} until {Time(login.ExpiresAt)}; token saved to {CliConfig.FilePath}");
            }
        });
        return command;
    }

    private static Command Config()
    {
        var url = new Option<string?>("--url") { Description = "The gateway to store" };
        var apiKey = new Option<string?>("--api-key") { Description = "The API key to store" };
        var set = new Command("set", "Store the gateway and/or an API key in the config file") { url, apiKey };
        set.SetAction(parse =>
        {
            var config = CliConfig.Load();
            if (parse.GetValue(url) is null && parse.GetValue(apiKey) is null)
            {
                Console.Error.WriteLine("jobq: config set needs --url and/or --api-key");
                return ExitCodes.Usage;
            }

            config = config with
            {
                Url = parse.GetValue(url) ?? config.Url,
                ApiKey = parse.GetValue(apiKey) ?? config.ApiKey,
            };
            config.Save();
            Console.WriteLine($"saved {CliConfig.FilePath}");
            return ExitCodes.Ok;
        });
        var show = new Command("show", "Print the config file's settings (the key shortened)");
        show.SetAction(_ =>
        {
            var config = CliConfig.Load();
            Console.WriteLine($"file:    {CliConfig.FilePath}");
            Console.WriteLine($"url:     {config.Url ?? "(not set)"}");
            Console.WriteLine($"api key: {(config.ApiKey is { Length: > 8 } k ? k[..8] + "…" : "(not set)")}");
            Console.WriteLine($"token:   {(config.Token is null ? "(not logged in)" : "set (jobq login)")}");
            return ExitCodes.Ok;
        });
        return new Command("config", "The config file (~/.config/jobq/config.json)") { set, show };
    }

    private static Command UsageCommand()
    {
        var command = new Command("usage", "This month's jobs against the account's limit");
        Session.Bind(command, async (session, parse, ct) =>
        {
            var usage = await session.Client.GetUsageAsync(ct);
            if (session.Json)
            {
                Session.PrintJson(usage, Json.Usage);
                return;
            }

            var limit = usage.JobsLimit < 0 ? "unlimited" : Num(usage.JobsLimit);
            Console.WriteLine($"{usage.Tier}: {Num(usage.JobsUsed)} of {limit} jobs this month ({usage.UsagePercent:0.#}%), resets {Time(usage.ResetAt)}{(usage.LimitReached ? "; LIMIT REACHED" : "")}");
        });
        return command;
    }

    private static Command StatsCommand()
    {
        var command = new Command("stats", "Counts by status and per queue");
        Session.Bind(command, async (session, parse, ct) =>
        {
            var stats = await session.Client.GetStatsAsync(ct);
            if (session.Json)
            {
                Session.PrintJson(stats, Json.Stats);
                return;
            }

            AnsiConsole.Write(StatsTable(stats));
            AnsiConsole.Write(QueueTable(stats));
        });
        return command;
    }

    private static Command Workers()
    {
        var all = new Option<bool>("--all") { Description = "Also the stopped workers" };
        var command = new Command("workers", "The workers, built in and remote") { all };
        Session.Bind(command, async (session, parse, ct) =>
        {
            var workers = await session.Client.ListWorkersAsync(!parse.GetValue(all), ct);
            if (session.Json)
            {
                Session.PrintJson(workers.ToList(), Json.ListWorker);
                return;
            }

            AnsiConsole.Write(WorkerTable(workers));
        });
        return command;
    }

    private static Command Top()
    {
        var count = new Option<int?>("--count") { Description = "Stop after this many refreshes (default: until Ctrl+C)" };
        var command = new Command("top", "A live view of the queues and workers, refreshed every second until Ctrl+C") { count };
        Session.Bind(command, async (session, parse, ct) =>
        {
            var refreshes = parse.GetValue(count);
            async Task<Rows> ViewAsync()
            {
                var stats = await session.Client.GetStatsAsync(ct);
                var workers = await session.Client.ListWorkersAsync(true, ct);
                return new Rows(new Text($"{session.Url}  {DateTimeOffset.UtcNow:HH:mm:ss}  (Ctrl+C to stop)"), StatsTable(stats), QueueTable(stats), WorkerTable(workers));
            }

            await AnsiConsole.Live(await ViewAsync()).StartAsync(async live =>
            {
                for (var shown = 1; refreshes is null || shown < refreshes; shown++)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), ct);
                    live.UpdateTarget(await ViewAsync());
                }
            });
        });
        return command;
    }

    private static Table StatsTable(Stats s) => Session.Table(
        ["PENDING", "RUNNING", "COMPLETED", "FAILED", "DEAD", "CANCELLED", "JOBS/MIN", "FAILED RATE", "WORKERS", "UNSERVED"],
        [[Num(s.Pending), Num(s.Running), Num(s.Completed), Num(s.Failed), Num(s.Dead), Num(s.Cancelled), Num(s.JobsPerMinute), $"{s.FailedRate:P1}", Num(s.ActiveWorkers),
          s.UnservedTypes.Count == 0 ? Num(s.Unserved) : $"{Num(s.Unserved)} ({string.Join(", ", s.UnservedTypes.Select(u => $"{u.Type}: {Num(u.Waiting)}"))})"]]);

    private static Table QueueTable(Stats s) => Session.Table(
        ["QUEUE", "WAITING", "RUNNING"], s.Queues.Select(q => new[] { q.Queue, Num(q.Depth), Num(q.Running) }));

    private static Table WorkerTable(IReadOnlyList<Worker> workers) => Session.Table(
        ["ID", "KIND", "STATUS", "RUNNING", "CONCURRENCY", "PROCESSED", "FAILED", "LAST SEEN", "TYPES"],
        workers.Select(w => new[]
        {
            w.Id, w.Kind ?? "built-in", w.Status, Num(w.Running), Num(w.Concurrency), Num(w.JobsProcessed), Num(w.JobsFailed),
            $"{Math.Max(0, (DateTimeOffset.UtcNow - w.LastSeen).TotalSeconds):0}s ago", string.Join(',', w.Types),
        }));
}
