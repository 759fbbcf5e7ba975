using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace JobQueue.Testing.Resources;

/// <summary>How to run a private <see cref="RedisServer"/>.</summary>
public sealed record RedisServerOptions
{
    /// <summary>redis-server's working folder (<c>--dir</c>); nothing is saved there.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>TCP port on 127.0.0.1; 0 picks a free one (kept across stop and start).</summary>
    public int Port { get; init; }

    /// <summary>Receives every line redis-server writes.</summary>
    public Action<string>? Log { get; init; }

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// A private redis-server run as a child process on a loopback port, without persistence: Redis is only an index that
/// the scheduler rebuilds from Postgres. Ready when it answers PING; stopped with SIGTERM.
/// Self-contained (shared with tests/JobQueue.Testing by linking this folder).
/// </summary>
public sealed class RedisServer(RedisServerOptions options) : IAsyncDisposable
{
    private const string InstallHint = "apt-get install -y redis-server";

    private ChildProcess? _process;

    public RedisServerOptions Options { get; } = options;

    /// <summary>The port, once started.</summary>
    public int Port { get; private set; } = options.Port;

    /// <summary>A StackExchange.Redis configuration string: <c>127.0.0.1:PORT</c>.</summary>
    public string ConnectionString => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public int? Pid => _process is { HasExited: false } p ? p.Pid : null;

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Completes with the exit code when the running server exits.</summary>
    public Task<int> Exited => _process?.Exited ?? Task.FromResult(0);

    public IReadOnlyList<string> RecentOutput => _process?.RecentOutput ?? [];

    /// <summary>The redis-server executable: <c>$REDIS_SERVER</c>, else PATH, else /usr/bin or /usr/sbin.</summary>
    /// <exception cref="MissingBinaryException">Redis is not installed.</exception>
    public static string FindExecutable()
    {
        var candidates = new[]
        {
            Environment.GetEnvironmentVariable("REDIS_SERVER"),
            Posix.Which("redis-server"),
            "/usr/bin/redis-server",
            "/usr/sbin/redis-server",
        };
        return candidates.FirstOrDefault(Posix.FileExists)
            ?? throw new MissingBinaryException($"redis-server was not found on PATH. Install it: {InstallHint}") { Package = "redis-server" };
    }

    /// <summary>Starts redis-server and waits until it answers PING.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning)
        {
            return;
        }

        var exe = FindExecutable();
        var dir = Path.GetFullPath(Options.DataDirectory);
        Directory.CreateDirectory(dir);
        if (Port == 0)
        {
            Port = LoopbackPort.GetFree();
        }

        _process = await ChildProcess.StartAsync(new ChildProcessOptions(
            exe,
            [
                "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                "--save", string.Empty, "--appendonly", "no", "--dir", dir, "--daemonize", "no",
            ])
        {
            WorkingDirectory = dir,
            ParentDeathSignal = Posix.SIGTERM,
            OnOutput = Options.Log,
        });

        var process = _process;
        try
        {
            await WaitUntilReachableAsync(
                ConnectionString,
                Options.StartTimeout,
                () => process.HasExited
                    ? $"redis-server exited with code {process.Exited.Result} while starting:{Environment.NewLine}{string.Join(Environment.NewLine, process.RecentOutput.TakeLast(20))}"
                    : null,
                cancellationToken);
        }
        catch
        {
            await StopAsync(CancellationToken.None);
            throw;
        }
    }

    /// <summary>SIGTERM, waiting for exit; SIGKILL after 10 s or when <paramref name="force"/> fires.</summary>
    public async Task StopAsync(CancellationToken force = default)
    {
        if (_process is null)
        {
            return;
        }

        await _process.StopAsync(Posix.SIGTERM, TimeSpan.FromSeconds(10), force);
        _process.Dispose();
        _process = null;
    }

    /// <summary>Empties every database (tests that check the index is rebuilt from Postgres).</summary>
    public Task FlushAllAsync(CancellationToken cancellationToken = default) =>
        CommandAsync(ConnectionString, ["FLUSHALL"], cancellationToken);

    /// <summary>
    /// Polls until the server named by <paramref name="connectionString"/> (<c>host:port[,options]</c>) answers
    /// PING with anything but -LOADING (-NOAUTH counts: it is up, and clients bring the password).
    /// </summary>
    public static async Task WaitUntilReachableAsync(string connectionString, TimeSpan timeout, Func<string?>? isDead = null, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            if (isDead?.Invoke() is { } reason)
            {
                throw new InvalidOperationException(reason);
            }

            try
            {
                var reply = await CommandAsync(connectionString, ["PING"], cancellationToken);
                if (!reply.StartsWith("-LOADING", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (Exception e) when (e is SocketException or IOException or TimeoutException)
            {
                last = e;
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException($"Redis at {connectionString} did not answer PING within {timeout.TotalSeconds:0} s: {last?.Message}", last);
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>Sends one command in RESP and returns the first line of the reply (enough for PING and FLUSHALL).</summary>
    private static async Task<string> CommandAsync(string connectionString, IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var endpoint = connectionString.Split(',')[0].Trim();
        var colon = endpoint.LastIndexOf(':');
        var host = colon < 0 ? endpoint : endpoint[..colon];
        var port = colon < 0 ? 6379 : int.Parse(endpoint[(colon + 1)..], CultureInfo.InvariantCulture);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(host, port, timeout.Token);
            var stream = client.GetStream();
            var request = new StringBuilder().Append(CultureInfo.InvariantCulture, $"*{command.Count}\r\n");
            foreach (var part in command)
            {
                request.Append(CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(part)}\r\n{part}\r\n");
            }

            await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), timeout.Token);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return await reader.ReadLineAsync(timeout.Token) ?? throw new IOException("Redis closed the connection.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Redis at {host}:{port} did not answer within 3 s.");
        }
    }
}
