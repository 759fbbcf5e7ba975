// JobQueue benchmark: measures the running system through its gateway (see README "Speed").
//   dotnet run -c Release --project tests/JobQueue.Benchmarks -- --url http://127.0.0.1:8080 --api-key K \
//       --postgres "<npgsql connection string>" [--scenario all|throughput|latency|pickup|backlog] [--backlog N] [--pids name=pid,...]
// Every scenario is bounded in count and time and only talks to 127.0.0.1.
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Npgsql;

var opts = Args.Parse(args);
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
{
    BaseAddress = new Uri(opts.Url),
    Timeout = TimeSpan.FromSeconds(60),
};
http.DefaultRequestHeaders.Add("X-API-Key", opts.ApiKey);
var results = new Dictionary<string, object>();
var cpu = new CpuSampler(opts.Pids);

async Task Run(string name, Func<Task> scenario)
{
    if (opts.Scenario != "all" && opts.Scenario != name) { return; }
    cpu.Start();
    await scenario();
    var usage = cpu.Stop();
    if (usage.Count > 0)
    {
        Console.WriteLine($"  CPU during {name}: " + string.Join(", ", usage.OrderByDescending(u => u.Value).Select(u => $"{u.Key} {u.Value:F0}%")));
        results[name + "_cpu_percent"] = usage.ToDictionary(u => u.Key, u => Math.Round(u.Value));
    }
}

await Run("throughput", async () =>
{
    var (jobsPerSec, enqueuePerSec) = await Scenarios.Throughput(http, opts.Postgres, total: 20_000, batch: 500, senders: 4);
    results["throughput_jobs_per_s"] = Math.Round(jobsPerSec);
    results["throughput_enqueue_jobs_per_s"] = Math.Round(enqueuePerSec);
});
await Run("latency", async () =>
{
    var l = await Scenarios.EnqueueLatency(http, clients: 32, requests: 8_000);
    results["enqueue_p50_ms"] = l.P50; results["enqueue_p99_ms"] = l.P99; results["enqueue_max_ms"] = l.Max; results["enqueue_req_per_s"] = l.Rate;
});
await Run("pickup", async () =>
{
    var p = await Scenarios.Pickup(http, opts.Postgres, count: 200);
    results["pickup_p50_ms"] = p.P50; results["pickup_p99_ms"] = p.P99;
});
await Run("backlog", async () =>
{
    results[$"backlog_{opts.Backlog}_jobs_per_s"] = Math.Round(await Scenarios.Backlog(http, opts.Postgres, opts.Backlog));
});

Console.WriteLine("RESULT " + JsonSerializer.Serialize(results));

internal sealed record Args(string Url, string ApiKey, string Postgres, string Scenario, int Backlog, Dictionary<string, int> Pids)
{
    public static Args Parse(string[] a)
    {
        string Get(string name, string fallback) { var i = Array.IndexOf(a, name); return i >= 0 && i + 1 < a.Length ? a[i + 1] : fallback; }
        var pids = Get("--pids", "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=')).ToDictionary(p => p[0], p => int.Parse(p[1], CultureInfo.InvariantCulture));
        return new Args(Get("--url", "http://127.0.0.1:8080"), Get("--api-key", "dev-api-key"),
            Get("--postgres", Environment.GetEnvironmentVariable("ConnectionStrings__postgres") ?? ""),
            Get("--scenario", "all"), int.Parse(Get("--backlog", "10000"), CultureInfo.InvariantCulture), pids);
    }
}

internal sealed record Percentiles(double P50, double P99, double Max, double Rate);

internal static class Scenarios
{
    private static string Tag() => "b" + Guid.NewGuid().ToString("N")[..10];

    private static StringContent Batch(int n, string tag, DateTime? at = null)
    {
        var sb = new StringBuilder("[");
        var sched = at is { } t ? $",\"scheduled_at\":\"{t:yyyy-MM-ddTHH:mm:ss.fffZ}\"" : "";
        for (var i = 0; i < n; i++) { sb.Append(i == 0 ? "" : ",").Append($"{{\"type\":\"noop\",\"tags\":{{\"bench\":\"{tag}\"}}{sched}}}"); }
        return new StringContent(sb.Append(']').ToString(), Encoding.UTF8, "application/json");
    }

    private static async Task<long> CountAsync(string pg, string tag, string status)
    {
        await using var conn = new NpgsqlConnection(pg);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM jobs WHERE tags @> jsonb_build_object('bench', @t::text) AND status = @s", conn);
        cmd.Parameters.AddWithValue("t", tag);
        cmd.Parameters.AddWithValue("s", status);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task WaitCompleted(string pg, string tag, int total, TimeSpan limit)
    {
        var sw = Stopwatch.StartNew();
        while (await CountAsync(pg, tag, "completed") < total)
        {
            if (sw.Elapsed > limit) { throw new TimeoutException($"not all {total} jobs completed within {limit}"); }
            await Task.Delay(100);
        }
    }

    private static async Task Send(HttpClient http, int total, int batch, int senders, string tag, DateTime? at = null)
    {
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, senders).Select(async _ =>
        {
            while (Interlocked.Add(ref next, batch) - batch < total)
            {
                using var r = await http.PostAsync("/api/v1/jobs/batch", Batch(batch, tag, at));
                if (!r.IsSuccessStatusCode) { throw new HttpRequestException($"batch enqueue answered {(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}"); }
            }
        }));
    }

    public static async Task<(double JobsPerSec, double EnqueuePerSec)> Throughput(HttpClient http, string pg, int total, int batch, int senders)
    {
        var tag = Tag();
        var sw = Stopwatch.StartNew();
        await Send(http, total, batch, senders, tag);
        var enqueue = sw.Elapsed.TotalSeconds;
        await WaitCompleted(pg, tag, total, TimeSpan.FromMinutes(5));
        var e2e = sw.Elapsed.TotalSeconds;
        Console.WriteLine($"throughput: {total} no-op jobs in batches of {batch}: enqueued in {enqueue:F2} s ({total / enqueue:F0}/s), all completed after {e2e:F2} s => {total / e2e:F0} jobs/s");
        return (total / e2e, total / enqueue);
    }

    public static async Task<Percentiles> EnqueueLatency(HttpClient http, int clients, int requests)
    {
        var samples = new double[requests];
        var next = -1;
        var body = Encoding.UTF8.GetBytes("{\"type\":\"noop\",\"tags\":{\"bench\":\"latency\"}}");
        // warm-up
        for (var i = 0; i < 200; i++) { using var w = await http.PostAsync("/api/v1/jobs", Json(body)); }
        var total = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var start = Stopwatch.GetTimestamp();
                using var r = await http.PostAsync("/api/v1/jobs", Json(body));
                samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if ((int)r.StatusCode != 201) { throw new HttpRequestException($"enqueue answered {(int)r.StatusCode}"); }
            }
        }));
        var rate = requests / total.Elapsed.TotalSeconds;
        Array.Sort(samples);
        var p = new Percentiles(Round(samples[requests / 2]), Round(samples[(int)(requests * 0.99)]), Round(samples[^1]), Math.Round(rate));
        Console.WriteLine($"latency: {requests} single enqueues, {clients} clients: p50 {p.P50} ms, p90 {Round(samples[(int)(requests * 0.9)])} ms, p99 {p.P99} ms, max {p.Max} ms ({p.Rate} req/s)");
        return p;
    }

    public static async Task<Percentiles> Pickup(HttpClient http, string pg, int count)
    {
        var tag = Tag();
        var body = Encoding.UTF8.GetBytes($"{{\"type\":\"noop\",\"tags\":{{\"bench\":\"{tag}\"}}}}");
        for (var i = 0; i < count; i++)
        {
            using var r = await http.PostAsync("/api/v1/jobs", Json(body));
            await Task.Delay(20);
        }

        await WaitCompleted(pg, tag, count, TimeSpan.FromMinutes(1));
        await using var conn = new NpgsqlConnection(pg);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT extract(epoch FROM started_at - created_at) * 1000 FROM jobs WHERE tags @> jsonb_build_object('bench', @t::text) ORDER BY 1", conn);
        cmd.Parameters.AddWithValue("t", tag);
        var ms = new List<double>();
        await using (var reader = await cmd.ExecuteReaderAsync()) { while (await reader.ReadAsync()) { ms.Add((double)reader.GetDecimal(0)); } }
        var p = new Percentiles(Round(ms[ms.Count / 2]), Round(ms[(int)(ms.Count * 0.99)]), Round(ms[^1]), 0);
        Console.WriteLine($"pickup: {count} jobs at low load: started_at - created_at p50 {p.P50} ms, p99 {p.P99} ms, max {p.Max} ms");
        return p;
    }

    public static async Task<double> Backlog(HttpClient http, string pg, int n)
    {
        var tag = Tag();
        var due = DateTime.UtcNow.AddSeconds(5 + (n / 4000.0));
        await Send(http, n, 500, 4, tag, due);
        var wait = due - DateTime.UtcNow;
        if (wait < TimeSpan.Zero) { Console.WriteLine("backlog: enqueue took longer than planned; figure includes overlap"); }
        else { await Task.Delay(wait); }
        var sw = Stopwatch.StartNew();
        await WaitCompleted(pg, tag, n, TimeSpan.FromMinutes(10));
        var rate = n / sw.Elapsed.TotalSeconds;
        Console.WriteLine($"backlog: {n} jobs due at once drained in {sw.Elapsed.TotalSeconds:F2} s => {rate:F0} jobs/s");
        return rate;
    }

    private static ByteArrayContent Json(byte[] body)
    {
        var c = new ByteArrayContent(body);
        c.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return c;
    }

    private static double Round(double v) => Math.Round(v, 1);
}

/// <summary>CPU seconds of each system process over a scenario, from /proc/PID/stat (utime + stime).</summary>
internal sealed class CpuSampler(Dictionary<string, int> pids)
{
    private Dictionary<string, long> _before = [];
    private Stopwatch _wall = new();

    public void Start() { _before = Read(); _wall = Stopwatch.StartNew(); }

    public Dictionary<string, double> Stop()
    {
        var after = Read();
        var ticks = 100.0; // USER_HZ
        return after.Where(a => _before.ContainsKey(a.Key))
            .ToDictionary(a => a.Key, a => (a.Value - _before[a.Key]) / ticks / _wall.Elapsed.TotalSeconds * 100);
    }

    private Dictionary<string, long> Read()
    {
        var d = new Dictionary<string, long>();
        foreach (var (name, pid) in pids)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                d[name] = long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
            }
            catch (IOException) { }
        }

        return d;
    }
}
