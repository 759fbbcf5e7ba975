using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;

namespace JobQueue.Benchmarks;

/// <summary>
/// CPU time from /proc over a measured window: per system process (with its descendants: the Postgres postmaster's
/// backends), per Postgres backend grouped by application_name (which service's queries cost Postgres CPU), per thread
/// name of each .NET process (GC vs thread pool), this benchmark itself, and the machine as a whole (/proc/stat).
/// Ticks are USER_HZ = 100 per second.
/// </summary>
internal sealed partial class CpuProbe(Dictionary<string, int> pids, string postgres)
{
    private const double Hz = 100.0;
    private Snapshot _before = new([], [], [], 0, 0, 0);
    private long _startTicks;

    public void Start(Dictionary<int, string> backends)
    {
        _before = Take(backends);
        _startTicks = Stopwatch.GetTimestamp();
    }

    /// <summary>Postgres backend pid → "pg:" + application_name (or backend_type) right now.</summary>
    public async Task<Dictionary<int, string>> BackendsAsync()
    {
        var map = new Dictionary<int, string>();
        try
        {
            await using var conn = new NpgsqlConnection(postgres);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT pid, coalesce(nullif(application_name, ''), backend_type) FROM pg_stat_activity WHERE pid <> pg_backend_pid()", conn);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                map[r.GetInt32(0)] = "pg:" + r.GetString(1);
            }
        }
        catch (NpgsqlException)
        {
        }

        return map;
    }

    public CpuReport Stop(Dictionary<int, string> backendsNow)
    {
        var after = Take(backendsNow);
        var wall = Stopwatch.GetElapsedTime(_startTicks).TotalSeconds;
        double D(Dictionary<string, long> a, Dictionary<string, long> b, string k) => (a.GetValueOrDefault(k) - b.GetValueOrDefault(k)) / Hz;
        var processes = after.Processes.Keys.Where(_before.Processes.ContainsKey)
            .Select(k => (Name: k, Seconds: D(after.Processes, _before.Processes, k)))
            .OrderByDescending(x => x.Seconds).ToList();
        var backends = after.Backends.Keys.Union(_before.Backends.Keys)
            .Select(k => (Name: k, Seconds: D(after.Backends, _before.Backends, k)))
            .Where(x => x.Seconds > 0).OrderByDescending(x => x.Seconds).ToList();
        var threads = after.Threads.Keys.Where(_before.Threads.ContainsKey)
            .Select(k => (Name: k, Seconds: D(after.Threads, _before.Threads, k)))
            .Where(x => x.Seconds > 0).OrderByDescending(x => x.Seconds).ToList();
        var self = (after.Self - _before.Self) / Hz;
        var totalJiffies = after.MachineTotal - _before.MachineTotal;
        var busy = totalJiffies - (after.MachineIdle - _before.MachineIdle);
        var others = busy / Hz - processes.Sum(p => p.Seconds) - self;
        return new CpuReport(wall, processes, backends, threads, self, totalJiffies == 0 ? 0 : 100.0 * busy / totalJiffies, Math.Max(0, others));
    }

    private Snapshot Take(Dictionary<int, string> backends)
    {
        var all = ReadAllStats();
        var processes = new Dictionary<string, long>();
        foreach (var (name, pid) in pids)
        {
            if (all.ContainsKey(pid))
            {
                processes[name] = TreeTicks(pid, all);
            }
        }

        var byBackend = new Dictionary<string, long>();
        foreach (var (pid, name) in backends)
        {
            if (all.TryGetValue(pid, out var s))
            {
                byBackend[name] = byBackend.GetValueOrDefault(name) + s.Utime + s.Stime;
            }
        }

        var threads = new Dictionary<string, long>();
        foreach (var (name, pid) in pids)
        {
            if (name.StartsWith("postgres", StringComparison.Ordinal) || name.StartsWith("redis", StringComparison.Ordinal))
            {
                continue;
            }

            try
            {
                foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
                {
                    if (ParseStat(task + "/stat") is { } t)
                    {
                        var key = $"{name} / {ThreadGroup(t.Comm)}";
                        threads[key] = threads.GetValueOrDefault(key) + t.Utime + t.Stime;
                    }
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        var me = ParseStat($"/proc/{Environment.ProcessId}/stat");
        var (total, idle) = MachineJiffies();
        return new Snapshot(processes, byBackend, threads, me is null ? 0 : me.Utime + me.Stime, total, idle);
    }

    /// <summary>".NET TP Worker" and friends keep their name; numbered threads (".NET Server GC", "postgres: …") are grouped.</summary>
    private static string ThreadGroup(string comm) => Digits().Replace(comm, "#").Trim();

    /// <summary>A process and every live descendant (utime+stime), plus reaped children (cutime+cstime).</summary>
    private static long TreeTicks(int root, Dictionary<int, ProcStat> all)
    {
        var children = all.Values.ToLookup(s => s.Ppid);
        long sum = 0;
        var stack = new Stack<int>([root]);
        while (stack.Count > 0)
        {
            var pid = stack.Pop();
            if (all.TryGetValue(pid, out var s))
            {
                sum += s.Utime + s.Stime + s.Cutime + s.Cstime;
                foreach (var c in children[pid])
                {
                    stack.Push(c.Pid);
                }
            }
        }

        return sum;
    }

    private static Dictionary<int, ProcStat> ReadAllStats()
    {
        var all = new Dictionary<int, ProcStat>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out _) && ParseStat(dir + "/stat") is { } s)
            {
                all[s.Pid] = s;
            }
        }

        return all;
    }

    private static ProcStat? ParseStat(string path)
    {
        try
        {
            var stat = File.ReadAllText(path);
            var open = stat.IndexOf('(', StringComparison.Ordinal);
            var close = stat.LastIndexOf(')');
            var f = stat[(close + 2)..].Split(' ');
            long L(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
            // fields after "(comm)": 0 state, 1 ppid, ..., 11 utime, 12 stime, 13 cutime, 14 cstime
            return new ProcStat(int.Parse(stat[..open].Trim(), CultureInfo.InvariantCulture), stat[(open + 1)..close], (int)L(1), L(11), L(12), L(13), L(14));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static (long Total, long Idle) MachineJiffies()
    {
        var line = File.ReadLines("/proc/stat").First();
        var v = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        return (v.Sum(), v[3] + v[4]);
    }

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();

    private sealed record ProcStat(int Pid, string Comm, int Ppid, long Utime, long Stime, long Cutime, long Cstime);

    private sealed record Snapshot(Dictionary<string, long> Processes, Dictionary<string, long> Backends, Dictionary<string, long> Threads, long Self, long MachineTotal, long MachineIdle);
}

internal sealed record CpuReport(
    double WallSeconds,
    List<(string Name, double Seconds)> Processes,
    List<(string Name, double Seconds)> Backends,
    List<(string Name, double Seconds)> Threads,
    double BenchmarkSeconds,
    double MachineBusyPercent,
    double OtherSeconds)
{
    private double Pct(double s) => WallSeconds <= 0 ? 0 : Math.Round(100 * s / WallSeconds, 1);

    public void Print(string scenario)
    {
        Console.WriteLine($"  CPU during {scenario} ({WallSeconds:F1} s wall; % = of one core; machine busy {MachineBusyPercent:F0}% of {Environment.ProcessorCount} cores):");
        foreach (var (name, s) in Processes)
        {
            Console.WriteLine($"    {name,-34} {s,7:F2} s  {Pct(s),6:F1}%");
        }

        Console.WriteLine($"    {"(benchmark client)",-34} {BenchmarkSeconds,7:F2} s  {Pct(BenchmarkSeconds),6:F1}%");
        Console.WriteLine($"    {"(everything else on the machine)",-34} {OtherSeconds,7:F2} s  {Pct(OtherSeconds),6:F1}%");
        if (Backends.Count > 0)
        {
            Console.WriteLine("   Postgres backends by client (application_name):");
            foreach (var (name, s) in Backends.Take(10))
            {
                Console.WriteLine($"    {name,-34} {s,7:F2} s  {Pct(s),6:F1}%");
            }
        }

        if (Threads.Count > 0)
        {
            Console.WriteLine("   .NET threads (top 8 groups):");
            foreach (var (name, s) in Threads.Take(8))
            {
                Console.WriteLine($"    {name,-34} {s,7:F2} s  {Pct(s),6:F1}%");
            }
        }
    }

    public JsonObject ToJson()
    {
        JsonObject Map(IEnumerable<(string Name, double Seconds)> xs) => new(xs.Select(x =>
            KeyValuePair.Create<string, JsonNode?>(x.Name, new JsonObject { ["cpu_s"] = Math.Round(x.Seconds, 2), ["pct"] = Pct(x.Seconds) })));
        return new JsonObject
        {
            ["wall_s"] = Math.Round(WallSeconds, 2),
            ["machine_busy_pct"] = Math.Round(MachineBusyPercent, 1),
            ["processes"] = Map(Processes.Append(("benchmark", BenchmarkSeconds)).Append(("other_on_machine", OtherSeconds))),
            ["pg_backends"] = Map(Backends),
            ["threads"] = Map(Threads.Take(12)),
        };
    }
}

/// <summary>
/// Samples pg_stat_activity every 50 ms during a window: which statements are running (and what they wait on) — a
/// poor man's pg_stat_statements that needs no server configuration.
/// </summary>
internal sealed class StatementSampler(string postgres) : IAsyncDisposable
{
    private readonly Dictionary<string, int> _counts = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private int _samples;

    public void Start()
    {
        _loop = Task.Run(LoopAsync);
    }

    private async Task LoopAsync()
    {
        try
        {
            await using var conn = new NpgsqlConnection(postgres);
            await conn.OpenAsync(_stop.Token);
            await using var cmd = new NpgsqlCommand(
                "SELECT coalesce(nullif(application_name, ''), backend_type), left(regexp_replace(query, '\\s+', ' ', 'g'), 110), coalesce(wait_event_type || ':' || wait_event, 'CPU') " +
                "FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend'", conn);
            while (!_stop.IsCancellationRequested)
            {
                await using (var r = await cmd.ExecuteReaderAsync(_stop.Token))
                {
                    while (await r.ReadAsync(_stop.Token))
                    {
                        var key = $"{r.GetString(0)} | {r.GetString(2)} | {r.GetString(1)}";
                        _counts[key] = _counts.GetValueOrDefault(key) + 1;
                    }
                }

                _samples++;
                await Task.Delay(50, _stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (NpgsqlException e)
        {
            Console.Error.WriteLine($"  (statement sampler stopped: {e.Message})");
        }
    }

    public async Task<JsonArray> StopAsync(int top = 8)
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        var rows = _counts.OrderByDescending(c => c.Value).Take(top).ToList();
        if (_samples > 0 && rows.Count > 0)
        {
            Console.WriteLine($"   Postgres active statements ({_samples} samples of pg_stat_activity; avg active backends = {_counts.Values.Sum() / (double)_samples:F2}):");
            foreach (var (k, v) in rows)
            {
                Console.WriteLine($"    {v / (double)_samples,5:F2}  {k}");
            }
        }

        return new JsonArray(rows.Select(r => (JsonNode)new JsonObject { ["avg_active"] = Math.Round(r.Value / (double)Math.Max(1, _samples), 3), ["what"] = r.Key }).ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _stop.Dispose();
    }
}
