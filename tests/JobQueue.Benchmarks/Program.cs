// JobQueue benchmark: measures the running system through its gateway (README "Speed").
//
// Against a system that is already running:
//   dotnet tests/JobQueue.Benchmarks/bin/Release/net10.0/JobQueue.Benchmarks.dll --url http://127.0.0.1:8080 \
//       --api-key K --postgres "<npgsql connection string>" [--scenario all|throughput,latency,pickup,backlog]
//       [--backlog 10000[,200000]] [--pids name=pid,...]
// One command per configuration (starts the AppHost DLL on a free port with a temp data dir, stops it with SIGTERM):
//   dotnet .../JobQueue.Benchmarks.dll --start-system --workers 2 [--scenario ...] [--backlog ...]
//
// Every scenario is bounded in count and time and stops by itself; all traffic goes to 127.0.0.1.
// Output: a readable report, then one line "RESULT {json}" with every figure.
using System.Text.Json;
using System.Text.Json.Nodes;
using JobQueue.Benchmarks;

BenchOptions opts;
try
{
    opts = BenchOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

if (opts.ShowHelp)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

SystemUnderTest? system = null;
using var stopping = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    Console.Error.WriteLine("interrupted: stopping");
    stopping.Cancel();
};

try
{
    if (opts.StartSystem)
    {
        system = await SystemUnderTest.StartAsync(opts, stopping.Token);
        opts = opts with { Url = system.GatewayUrl, Postgres = system.PostgresConnectionString, Pids = system.Pids };
    }

    BenchOptions.RequireLoopback(opts.Url, opts.Postgres);
    var report = new JsonObject
    {
        ["run_id"] = opts.RunId,
        ["label"] = opts.Label,
        ["started_utc"] = DateTime.UtcNow.ToString("O"),
        ["cores"] = Environment.ProcessorCount,
        ["workers"] = opts.StartSystem ? opts.Workers : null,
        ["worker_count_env"] = Environment.GetEnvironmentVariable("WORKER_COUNT"),
        ["worker_claim_batch_env"] = Environment.GetEnvironmentVariable("WORKER_CLAIM_BATCH"),
        ["url"] = opts.Url,
    };
    Console.WriteLine($"JobQueue benchmark run {opts.RunId}: {opts.Url}, scenarios {string.Join(',', opts.Scenarios)}, " +
        $"{Environment.ProcessorCount} cores, workers={(opts.StartSystem ? opts.Workers.ToString() : "?")}, " +
        $"WORKER_COUNT={Environment.GetEnvironmentVariable("WORKER_COUNT") ?? "(default)"}");

    await using var bench = new Bench(opts, stopping.Token);
    await bench.WarmUpAsync();
    var results = new JsonObject();
    var summary = new List<(string Scenario, string Figure, string Value)>();
    foreach (var scenario in opts.Scenarios)
    {
        stopping.Token.ThrowIfCancellationRequested();
        if (scenario == "backlog")
        {
            foreach (var n in opts.Backlog)
            {
                results[$"backlog_{n}"] = await bench.RunAsync($"backlog_{n}", m => bench.BacklogAsync(m, n), summary);
            }
        }
        else
        {
            results[scenario] = await bench.RunAsync(scenario, scenario switch
            {
                "throughput" => bench.ThroughputAsync,
                "latency" => bench.LatencyAsync,
                "pickup" => bench.PickupAsync,
                _ => throw new ArgumentException($"unknown scenario {scenario}"),
            }, summary);
        }
    }

    report["scenarios"] = results;
    Console.WriteLine();
    Console.WriteLine($"== summary (run {opts.RunId}{(opts.Label is null ? "" : ", " + opts.Label)}) ==");
    Console.WriteLine($"{"scenario",-16} {"figure",-44} value");
    foreach (var (s, f, v) in summary)
    {
        Console.WriteLine($"{s,-16} {f,-44} {v}");
    }

    var json = report.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    if (opts.JsonOut is { } path)
    {
        await File.WriteAllTextAsync(path, json + Environment.NewLine);
    }

    Console.WriteLine("RESULT " + json);
    return 0;
}
catch (OperationCanceledException) when (stopping.IsCancellationRequested)
{
    return 130;
}
catch (Exception e) when (e is BenchmarkException or TimeoutException or HttpRequestException or Npgsql.NpgsqlException)
{
    Console.Error.WriteLine($"benchmark failed: {e.Message}");
    return 1;
}
finally
{
    if (system is not null)
    {
        await system.DisposeAsync();
    }
}
