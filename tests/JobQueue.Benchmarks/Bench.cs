using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace JobQueue.Benchmarks;

/// <summary>Controls the measured (CPU) window of a scenario: it starts with the scenario unless restarted.</summary>
internal sealed class Measurement(Func<Task> restart, Func<Task> end)
{
    public Task RestartAsync() => restart();

    public Task EndAsync() => end();
}

/// <summary>The four scenarios. Every job carries tags {"bench": "&lt;run id&gt;-&lt;scenario&gt;"} so Postgres counts are exact.</summary>
internal sealed class Bench : IAsyncDisposable
{
    private readonly BenchOptions _o;
    private readonly CancellationToken _ct;
    private readonly HttpClient _http;
    private readonly NpgsqlDataSource _pg;
    private readonly CpuProbe _cpu;

    public Bench(BenchOptions o, CancellationToken ct)
    {
        _o = o;
        _ct = ct;
        _http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromMinutes(30) })
        {
            BaseAddress = new Uri(o.Url),
            Timeout = TimeSpan.FromSeconds(60),
        };
        _http.DefaultRequestHeaders.Add("X-API-Key", o.ApiKey);
        _pg = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(o.Postgres) { ApplicationName = "benchmark", MaxPoolSize = 4 }.ConnectionString);
        _cpu = new CpuProbe(o.Pids, o.Postgres);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _pg.DisposeAsync();
    }

    /// <summary>
    /// An untimed round of each shape of traffic, so that what is measured is the steady state: connections and
    /// pools open, and the JIT done. .NET's tiered compilation re-compiles a method after about 30 calls; a method
    /// called once per batch request needs dozens of batches before it reaches its final code, and in a short run the
    /// compiler thread otherwise shows up as a third of the machine's CPU.
    /// </summary>
    public async Task WarmUpAsync()
    {
        var tag = _o.RunId + "-warmup";
        var sw = Stopwatch.StartNew();
        const int singlesPerClient = 50;
        await Task.WhenAll(Enumerable.Range(0, _o.LatencyClients).Select(async _ =>
        {
            for (var i = 0; i < singlesPerClient; i++)
            {
                await EnqueueOneAsync(tag);
            }
        }));
        const int batched = 20_000;
        await SendBatchesAsync(batched, tag, null);
        var total = batched + _o.LatencyClients * singlesPerClient;
        await WaitCompletedAsync(tag, total, TimeSpan.FromSeconds(300));
        Console.WriteLine($"warm-up: {_o.LatencyClients * singlesPerClient} single + {batched} batched jobs enqueued and completed in {sw.Elapsed.TotalSeconds:F1} s");
    }

    public async Task<JsonObject> RunAsync(string name, Func<Measurement, Task<(JsonObject Figures, List<(string, string)> Summary)>> scenario,
        List<(string, string, string)> summary)
    {
        Console.WriteLine();
        Console.WriteLine($"== {name} ==");
        var sampling = _o.Sampling && _o.Pids.Count > 0;
        StatementSampler? statements = null;
        CpuReport? cpu = null;
        JsonArray? top = null;
        async Task Restart()
        {
            if (statements is not null)
            {
                await statements.DisposeAsync();
            }

            _cpu.Start(await _cpu.BackendsAsync());
            if (_o.Sampling)
            {
                statements = new StatementSampler(_o.Postgres);
                statements.Start();
            }
        }

        async Task End()
        {
            if (cpu is not null || top is not null)
            {
                return;
            }

            cpu = sampling ? _cpu.Stop(await _cpu.BackendsAsync()) : null;
            if (statements is not null)
            {
                top = await statements.StopAsync();
                await statements.DisposeAsync();
                statements = null;
            }
        }

        await Restart();
        var (figures, lines) = await scenario(new Measurement(Restart, End));
        await End();
        cpu?.Print(name);
        if (cpu is not null)
        {
            figures["cpu"] = cpu.ToJson();
        }

        if (top is not null)
        {
            figures["pg_active_statements"] = top;
        }

        summary.AddRange(lines.Select(l => (name, l.Item1, l.Item2)));
        return figures;
    }

    // ---- 1. throughput --------------------------------------------------------------------------------------------

    public async Task<(JsonObject, List<(string, string)>)> ThroughputAsync(Measurement m)
    {
        var total = _o.ThroughputJobs;
        var tag = _o.RunId + "-throughput";
        var startUtc = DateTime.UtcNow;
        var sw = Stopwatch.StartNew();
        await SendBatchesAsync(total, tag, null);
        var enqueue = sw.Elapsed.TotalSeconds;
        Console.WriteLine($"  enqueued {total} no-op jobs in batches of {_o.Batch} ({_o.Senders} senders) in {enqueue:F2} s => {total / enqueue:F0} jobs/s");
        var poll = await WaitCompletedAsync(tag, total, TimeSpan.FromMinutes(5), sw);
        var e2e = sw.Elapsed.TotalSeconds;
        await m.EndAsync();
        var db = await TimesAsync(tag);
        var dbE2e = (db.LastCompleted - startUtc).TotalSeconds;
        Console.WriteLine($"  all {total} completed after {e2e:F2} s (poll, mean poll query {poll:F1} ms) => {total / e2e:F0} jobs/s; " +
            $"by completed_at: {dbE2e:F2} s => {total / dbE2e:F0} jobs/s; failed/other: {db.NotCompleted}");
        return (new JsonObject
        {
            ["jobs"] = total,
            ["enqueue_s"] = R(enqueue, 3),
            ["enqueue_jobs_per_s"] = R(total / enqueue),
            ["e2e_s"] = R(e2e, 3),
            ["jobs_per_s"] = R(total / e2e),
            ["e2e_by_completed_at_s"] = R(dbE2e, 3),
            ["jobs_per_s_by_completed_at"] = R(total / dbE2e),
            ["mean_poll_ms"] = R(poll, 1),
        }, [("enqueue rate (batches of 500)", $"{total / enqueue:F0} jobs/s"),
            ("end-to-end 20k no-op (last completed_at)", $"{dbE2e:F2} s => {total / dbE2e:F0} jobs/s"),
            ("end-to-end 20k no-op (seen by the poll)", $"{e2e:F2} s => {total / e2e:F0} jobs/s")]);
    }

    // ---- 2. latency -----------------------------------------------------------------------------------------------

    public async Task<(JsonObject, List<(string, string)>)> LatencyAsync(Measurement m)
    {
        var tag = _o.RunId + "-latency";
        var clients = _o.LatencyClients;
        var deadline = Stopwatch.StartNew();
        var limit = TimeSpan.FromSeconds(_o.LatencySeconds);
        var issued = 0;
        var errors = 0;
        var perClient = new List<double>[clients];
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            var mine = perClient[c] = new List<double>(1024);
            while (deadline.Elapsed < limit && Interlocked.Increment(ref issued) <= _o.LatencyRequests)
            {
                var start = Stopwatch.GetTimestamp();
                using var r = await _http.PostAsync("/api/v1/jobs", Json(SingleBody(tag)), _ct);
                mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if ((int)r.StatusCode != 201)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }));
        var wall = deadline.Elapsed.TotalSeconds;
        await m.EndAsync();
        var all = perClient.SelectMany(x => x).Order().ToArray();
        var rate = all.Length / wall;
        Console.WriteLine($"  {all.Length} single enqueues from {clients} clients in {wall:F2} s ({rate:F0} req/s, {errors} non-201): " +
            $"p50 {P(all, 0.5):F1} ms, p90 {P(all, 0.9):F1} ms, p99 {P(all, 0.99):F1} ms, max {all[^1]:F1} ms");
        var settle = Stopwatch.StartNew();
        await WaitCompletedAsync(tag, all.Length - errors, TimeSpan.FromMinutes(2));
        Console.WriteLine($"  (their jobs all completed {settle.Elapsed.TotalSeconds:F2} s after the last request)");
        return (new JsonObject
        {
            ["requests"] = all.Length,
            ["clients"] = clients,
            ["errors"] = errors,
            ["req_per_s"] = R(rate),
            ["p50_ms"] = R(P(all, 0.5), 2),
            ["p90_ms"] = R(P(all, 0.9), 2),
            ["p99_ms"] = R(P(all, 0.99), 2),
            ["max_ms"] = R(all[^1], 2),
        }, [("single enqueue, 32 clients", $"p50 {P(all, 0.5):F1} / p90 {P(all, 0.9):F1} / p99 {P(all, 0.99):F1} / max {all[^1]:F0} ms, {rate:F0} req/s")]);
    }

    // ---- 3. pickup ------------------------------------------------------------------------------------------------

    public async Task<(JsonObject, List<(string, string)>)> PickupAsync(Measurement m)
    {
        var tag = _o.RunId + "-pickup";
        var ids = new List<Guid>(_o.PickupCount);
        var rtt = new List<double>(_o.PickupCount);
        for (var i = 0; i < _o.PickupCount; i++)
        {
            var start = Stopwatch.GetTimestamp();
            ids.Add(await EnqueueOneAsync(tag));
            rtt.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            await Task.Delay(_o.PickupGapMs, _ct);
        }

        await WaitCompletedAsync(tag, ids.Count, TimeSpan.FromMinutes(1));
        await m.EndAsync();
        var ms = new List<double>();
        await using (var cmd = _pg.CreateCommand("SELECT extract(epoch FROM started_at - created_at) * 1000 FROM jobs WHERE id = ANY(@ids)"))
        {
            cmd.Parameters.AddWithValue("ids", ids.ToArray());
            await using var r = await cmd.ExecuteReaderAsync(_ct);
            while (await r.ReadAsync(_ct))
            {
                ms.Add((double)r.GetDecimal(0));
            }
        }

        var s = ms.Order().ToArray();
        var rt = rtt.Order().ToArray();
        Console.WriteLine($"  {s.Length} jobs, one every ~{_o.PickupGapMs} ms: started_at - created_at p50 {P(s, 0.5):F1} ms, p90 {P(s, 0.9):F1} ms, p99 {P(s, 0.99):F1} ms, max {s[^1]:F1} ms " +
            $"(enqueue round trip p50 {P(rt, 0.5):F1} ms)");
        return (new JsonObject
        {
            ["jobs"] = s.Length,
            ["p50_ms"] = R(P(s, 0.5), 2),
            ["p90_ms"] = R(P(s, 0.9), 2),
            ["p99_ms"] = R(P(s, 0.99), 2),
            ["max_ms"] = R(s[^1], 2),
            ["enqueue_rtt_p50_ms"] = R(P(rt, 0.5), 2),
        }, [("pickup (started_at - created_at)", $"p50 {P(s, 0.5):F1} / p99 {P(s, 0.99):F1} ms")]);
    }

    // ---- 4. backlog -----------------------------------------------------------------------------------------------

    public async Task<(JsonObject, List<(string, string)>)> BacklogAsync(Measurement m, int n)
    {
        var tag = $"{_o.RunId}-backlog{n}";
        var lead = TimeSpan.FromSeconds(5 + (n / 5000.0));
        var due = DateTime.UtcNow + lead;
        var sw = Stopwatch.StartNew();
        await SendBatchesAsync(n, tag, due);
        var enqueue = sw.Elapsed.TotalSeconds;
        var wait = due - DateTime.UtcNow;
        Console.WriteLine($"  enqueued {n} jobs due at +{lead.TotalSeconds:F0} s in {enqueue:F2} s ({n / enqueue:F0} jobs/s); {Math.Max(0, wait.TotalSeconds):F1} s to wait");
        var overlap = wait < TimeSpan.Zero;
        if (overlap)
        {
            Console.WriteLine("  WARNING: enqueueing took longer than the lead time; the drain overlaps the enqueue");
        }
        else
        {
            await Task.Delay(wait, _ct);
        }

        await m.RestartAsync(); // measure CPU over the drain only
        var drain = Stopwatch.StartNew();
        if (overlap)
        {
            drain = Stopwatch.StartNew();
        }

        var poll = await WaitCompletedAsync(tag, n, TimeSpan.FromSeconds(Math.Max(120, n / 400.0)), drain);
        var seconds = overlap ? (DateTime.UtcNow - due).TotalSeconds : drain.Elapsed.TotalSeconds;
        await m.EndAsync();
        var db = await TimesAsync(tag);
        var dbDrain = (db.LastCompleted - due).TotalSeconds;
        var firstStart = (db.FirstStarted - due).TotalMilliseconds;
        Console.WriteLine($"  drained {n} jobs in {seconds:F2} s after the due instant => {n / seconds:F0} jobs/s " +
            $"(by completed_at {dbDrain:F2} s => {n / dbDrain:F0} jobs/s; first start {firstStart:F0} ms after due; mean poll {poll:F1} ms)");
        return (new JsonObject
        {
            ["jobs"] = n,
            ["enqueue_s"] = R(enqueue, 2),
            ["enqueue_jobs_per_s"] = R(n / enqueue),
            ["drain_s"] = R(seconds, 3),
            ["jobs_per_s"] = R(n / seconds),
            ["drain_by_completed_at_s"] = R(dbDrain, 3),
            ["jobs_per_s_by_completed_at"] = R(n / dbDrain),
            ["first_start_after_due_ms"] = R(firstStart),
            ["enqueue_overlapped_drain"] = overlap,
            ["mean_poll_ms"] = R(poll, 1),
        }, [($"backlog {n} drain", $"{seconds:F2} s => {n / seconds:F0} jobs/s")]);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    private async Task SendBatchesAsync(int total, string tag, DateTime? at)
    {
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, _o.Senders).Select(async _ =>
        {
            int start;
            while ((start = Interlocked.Add(ref next, _o.Batch) - _o.Batch) < total)
            {
                using var r = await _http.PostAsync("/api/v1/jobs/batch", BatchBody(Math.Min(_o.Batch, total - start), tag, at), _ct);
                await EnsureAsync(r, 201, "batch enqueue");
            }
        }));
    }

    private async Task<Guid> EnqueueOneAsync(string tag)
    {
        using var r = await _http.PostAsync("/api/v1/jobs", Json(SingleBody(tag)), _ct);
        await EnsureAsync(r, 201, "enqueue");
        using var doc = await JsonDocument.ParseAsync(await r.Content.ReadAsStreamAsync(_ct), cancellationToken: _ct);
        return doc.RootElement.GetProperty("data").GetProperty("id").GetGuid();
    }

    /// <summary>
    /// Polls the count of completed jobs with the tag (every 250 ms; less often if the count query itself gets slow, so
    /// the poll never costs Postgres more than ~1/5 of a backend). The poll only tells when to stop: the reported
    /// end time is the last <c>completed_at</c>, which does not depend on how often we look. Returns the mean poll
    /// duration in ms.
    /// </summary>
    private async Task<double> WaitCompletedAsync(string tag, int total, TimeSpan limit, Stopwatch? clock = null)
    {
        var sw = Stopwatch.StartNew();
        var polls = 0;
        var pollMs = 0.0;
        await using var cmd = _pg.CreateCommand("SELECT count(*) FROM jobs WHERE tags @> @t::jsonb AND status = 'completed'");
        cmd.Parameters.AddWithValue("t", JsonSerializer.Serialize(new Dictionary<string, string> { ["bench"] = tag }));
        while (true)
        {
            var t0 = Stopwatch.GetTimestamp();
            var done = (long)(await cmd.ExecuteScalarAsync(_ct))!;
            var took = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            polls++;
            pollMs += took;
            if (done >= total)
            {
                return pollMs / polls;
            }

            if (sw.Elapsed > limit)
            {
                throw new TimeoutException($"{tag}: only {done} of {total} jobs completed within {limit.TotalSeconds:F0} s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(250, 4 * took)), _ct);
        }
    }

    private async Task<(DateTime FirstStarted, DateTime LastCompleted, long NotCompleted)> TimesAsync(string tag)
    {
        await using var cmd = _pg.CreateCommand("SELECT min(started_at), max(completed_at), count(*) FILTER (WHERE status <> 'completed') FROM jobs WHERE tags @> @t::jsonb");
        cmd.Parameters.AddWithValue("t", JsonSerializer.Serialize(new Dictionary<string, string> { ["bench"] = tag }));
        await using var r = await cmd.ExecuteReaderAsync(_ct);
        await r.ReadAsync(_ct);
        return (r.GetDateTime(0).ToUniversalTime(), r.GetDateTime(1).ToUniversalTime(), r.GetInt64(2));
    }

    private static async Task EnsureAsync(HttpResponseMessage r, int status, string what)
    {
        if ((int)r.StatusCode != status)
        {
            var body = await r.Content.ReadAsStringAsync();
            throw new BenchmarkException($"{what} answered {(int)r.StatusCode}: {body[..Math.Min(300, body.Length)]}");
        }
    }

    private byte[] SingleBody(string tag) => Encoding.UTF8.GetBytes($"{{\"type\":\"noop\",\"tags\":{{\"bench\":\"{tag}\"}}}}");

    private static ByteArrayContent BatchBody(int n, string tag, DateTime? at)
    {
        var item = at is { } t
            ? $"{{\"type\":\"noop\",\"tags\":{{\"bench\":\"{tag}\"}},\"scheduled_at\":\"{t.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)}\"}}"
            : $"{{\"type\":\"noop\",\"tags\":{{\"bench\":\"{tag}\"}}}}";
        var sb = new StringBuilder(n * (item.Length + 1) + 2).Append('[');
        for (var i = 0; i < n; i++)
        {
            sb.Append(i == 0 ? "" : ",").Append(item);
        }

        return Json(Encoding.UTF8.GetBytes(sb.Append(']').ToString()));
    }

    private static ByteArrayContent Json(byte[] body)
    {
        var c = new ByteArrayContent(body);
        c.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return c;
    }

    private static double P(double[] sorted, double q) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];

    private static double R(double v, int digits = 0) => Math.Round(v, digits);
}
