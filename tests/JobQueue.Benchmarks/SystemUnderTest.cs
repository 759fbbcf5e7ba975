using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace JobQueue.Benchmarks;

/// <summary>
/// <c>--start-system</c>: the AppHost DLL on a free loopback port with a temp data dir, the environment passed through.
/// Its <c>JOBQUEUE PROCESS/CONNECTION/READY</c> lines give the pids, the Postgres connection string and the gateway.
/// Stopped with SIGTERM (as Ctrl+C would), killed only if it does not exit within 90 s.
/// </summary>
internal sealed partial class SystemUnderTest : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dataDir;
    private readonly StreamWriter _log;
    private readonly List<string> _tail = [];
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SystemUnderTest(Process process, string dataDir, StreamWriter log)
    {
        _process = process;
        _dataDir = dataDir;
        _log = log;
    }

    public string GatewayUrl { get; private set; } = "";

    public string PostgresConnectionString { get; private set; } = "";

    public Dictionary<string, int> Pids { get; } = [];

    public string LogPath { get; private set; } = "";

    public static async Task<SystemUnderTest> StartAsync(BenchOptions opts, CancellationToken ct)
    {
        var dll = opts.AppHost ?? FindAppHost();
        if (!File.Exists(dll))
        {
            throw new BenchmarkException($"AppHost DLL not found: {dll} (build it: dotnet build JobQueue.AppHost -c Release)");
        }

        var port = FreePort();
        var dataDir = Path.Combine(Path.GetTempPath(), "jobqueue-bench-" + opts.RunId);
        Directory.CreateDirectory(dataDir);
        File.SetUnixFileMode(dataDir, (UnixFileMode)0b111_101_101); // 755: Postgres may run as another user
        var logDir = opts.LogDir ?? dataDir;
        Directory.CreateDirectory(logDir);
        var logPath = Path.Combine(logDir, $"apphost-{opts.RunId}.log");

        var psi = new ProcessStartInfo(DotnetPath())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { dll, "--port", port.ToString(CultureInfo.InvariantCulture), "--workers", opts.Workers.ToString(CultureInfo.InvariantCulture), "--data-dir", dataDir })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["API_KEY"] = opts.ApiKey;
        // One key drives thousands of requests per second: the benchmark measures the queue, not the rate limiter.
        psi.Environment["RATE_LIMIT_RPS"] = "0";
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var started = Stopwatch.StartNew();
        Console.WriteLine($"starting system: {Path.GetFileName(dll)} --port {port} --workers {opts.Workers} --data-dir {dataDir} (log {logPath})");
        var process = Process.Start(psi) ?? throw new BenchmarkException("could not start the AppHost");
        var sut = new SystemUnderTest(process, dataDir, log) { LogPath = logPath };
        process.OutputDataReceived += (_, e) => sut.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => sut.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync(ct);
        var timeout = Task.Delay(TimeSpan.FromSeconds(240), ct);
        var first = await Task.WhenAny(sut._ready.Task, exited, timeout);
        if (first != sut._ready.Task)
        {
            string tail;
            lock (sut._tail)
            {
                tail = string.Join(Environment.NewLine, sut._tail);
            }

            await sut.DisposeAsync();
            ct.ThrowIfCancellationRequested();
            throw new BenchmarkException($"the system did not become ready ({(first == exited ? "AppHost exited" : "240 s timeout")}); last output:{Environment.NewLine}{tail}");
        }

        sut.GatewayUrl = (await sut._ready.Task).TrimEnd('/');
        if (sut.PostgresConnectionString.Length == 0)
        {
            await sut.DisposeAsync();
            throw new BenchmarkException("the AppHost printed no 'JOBQUEUE CONNECTION postgres' line");
        }

        Console.WriteLine($"system ready after {started.Elapsed.TotalSeconds:F1} s: gateway {sut.GatewayUrl}; processes " +
            string.Join(", ", sut.Pids.Select(p => $"{p.Key}={p.Value}")));
        return sut;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tail)
        {
            _log.WriteLine(line);
            _tail.Add(line);
            if (_tail.Count > 60)
            {
                _tail.RemoveAt(0);
            }
        }

        if (ProcessLine().Match(line) is { Success: true } p)
        {
            lock (Pids)
            {
                Pids[p.Groups[1].Value] = int.Parse(p.Groups[2].Value, CultureInfo.InvariantCulture);
            }
        }
        else if (line.StartsWith("JOBQUEUE CONNECTION postgres ", StringComparison.Ordinal))
        {
            PostgresConnectionString = line["JOBQUEUE CONNECTION postgres ".Length..].Trim();
        }
        else if (ReadyLine().Match(line) is { Success: true } r)
        {
            _ready.TrySetResult(r.Groups[1].Value);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            var sw = Stopwatch.StartNew();
            Console.WriteLine($"stopping system (SIGTERM to AppHost pid {_process.Id})");
            using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
            {
                await kill!.WaitForExitAsync();
            }

            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
                Console.WriteLine($"system stopped in {sw.Elapsed.TotalSeconds:F1} s (exit code {_process.ExitCode})");
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("the AppHost did not stop within 90 s of SIGTERM: killing its process tree");
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
        lock (_tail)
        {
            _log.Dispose();
        }

        if (!LogPath.StartsWith(_dataDir, StringComparison.Ordinal) || Environment.GetEnvironmentVariable("BENCH_KEEP_DATA") == "1")
        {
            TryDelete(Path.Combine(_dataDir, "postgres"));
            TryDelete(Path.Combine(_dataDir, "redis"));
            if (!LogPath.StartsWith(_dataDir, StringComparison.Ordinal))
            {
                TryDelete(_dataDir);
            }
        }
        else
        {
            TryDelete(_dataDir);
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"could not delete {dir}: {e.Message}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string DotnetPath() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h
        : Environment.ProcessPath is { } self && Path.GetFileName(self) == "dotnet" ? self
        : "dotnet";

    /// <summary>&lt;repo&gt;/JobQueue.AppHost/bin/Release (else Debug)/net10.0/JobQueue.AppHost.dll.</summary>
    private static string FindAppHost()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "JobQueue.sln")))
            {
                var candidates = new[] { "Release", "Debug" }
                    .Select(c => Path.Combine(dir.FullName, "JobQueue.AppHost", "bin", c, "net10.0", "JobQueue.AppHost.dll"))
                    .Where(File.Exists).ToList();
                return candidates.FirstOrDefault() ?? Path.Combine(dir.FullName, "JobQueue.AppHost", "bin", "Release", "net10.0", "JobQueue.AppHost.dll");
            }
        }

        throw new BenchmarkException("cannot find the repository (JobQueue.sln); pass --apphost");
    }

    [GeneratedRegex(@"^JOBQUEUE PROCESS (\S+) pid=(\d+)")]
    private static partial Regex ProcessLine();

    [GeneratedRegex(@"^JOBQUEUE READY .*?gateway=(\S+)")]
    private static partial Regex ReadyLine();
}
