using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace JobQueue.Testing.Resources;

/// <summary>How to run a private <see cref="PostgresServer"/>.</summary>
public sealed record PostgresServerOptions
{
    /// <summary>The cluster's data folder; created with <c>initdb</c> when it holds no cluster yet, kept across runs.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Where the generated superuser password is kept (mode 0600); default: <c>&lt;DataDirectory&gt;.password</c>.</summary>
    public string? PasswordFile { get; init; }

    /// <summary>TCP port on 127.0.0.1; 0 picks a free one (kept across <see cref="PostgresServer.StopAsync"/>/<see cref="PostgresServer.StartAsync"/>).</summary>
    public int Port { get; init; }

    /// <summary>
    /// False for throw-away test clusters: <c>fsync</c>, <c>synchronous_commit</c> and <c>full_page_writes</c> off and
    /// <c>initdb --no-sync</c>. A cluster that keeps real data must stay durable.
    /// </summary>
    public bool Durable { get; init; } = true;

    /// <summary>
    /// Eight services with their own pools plus tests share one server; the default 100 runs out under load.
    /// </summary>
    public int MaxConnections { get; init; } = 300;

    /// <summary>Extra <c>-c name=value</c> settings.</summary>
    public IReadOnlyList<string> Settings { get; init; } = [];

    /// <summary>Receives every line initdb and postgres write.</summary>
    public Action<string>? Log { get; init; }

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// A private PostgreSQL server run as a plain child process: <c>initdb</c> on first use, <c>postgres</c> on a loopback
/// port, readiness by opening a connection, stop with SIGINT (fast shutdown; SIGKILL would leave a stale
/// <c>postmaster.pid</c>). As root, initdb and postgres refuse to run, so both run as the <c>postgres</c> user through
/// <c>setpriv</c> (which execs in place: the child's pid is the postmaster's) and the folders are given to that user.
/// Self-contained (shared with tests/JobQueue.Testing by linking this folder).
/// </summary>
public sealed class PostgresServer(PostgresServerOptions options) : IAsyncDisposable
{
    /// <summary>The superuser, and the OS user the server runs as when started by root.</summary>
    public const string User = "postgres";

    private const string InstallHint = "apt-get install -y postgresql";

    private ChildProcess? _process;

    public PostgresServerOptions Options { get; } = options;

    /// <summary>The port, once started.</summary>
    public int Port { get; private set; } = options.Port;

    /// <summary>The superuser password, once started.</summary>
    public string Password { get; private set; } = string.Empty;

    /// <summary>The postmaster's pid while it runs.</summary>
    public int? Pid => _process is { HasExited: false } p ? p.Pid : null;

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Completes with the exit code when the running postmaster exits.</summary>
    public Task<int> Exited => _process?.Exited ?? Task.FromResult(0);

    /// <summary>The last lines the server wrote, for error messages.</summary>
    public IReadOnlyList<string> RecentOutput => _process?.RecentOutput ?? [];

    private string PasswordFile => Options.PasswordFile ?? Path.TrimEndingDirectorySeparator(Options.DataDirectory) + ".password";

    /// <summary>An Npgsql connection string for <paramref name="database"/> as the superuser.</summary>
    public string GetConnectionString(string database = "postgres") =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Database = database,
            Username = User,
            Password = Password,
        }.ConnectionString;

    /// <summary>
    /// The folder holding <c>initdb</c> and <c>postgres</c>: <c>$POSTGRES_BINDIR</c>, else the newest
    /// <c>/usr/lib/postgresql/N/bin</c> (Debian keeps them off PATH), else PATH.
    /// </summary>
    /// <exception cref="MissingBinaryException">PostgreSQL is not installed.</exception>
    public static string FindBinDirectory()
    {
        static bool HasServer(string? dir) =>
            dir is not null && Posix.FileExists(Path.Combine(dir, "postgres")) && Posix.FileExists(Path.Combine(dir, "initdb"));

        var fromEnv = Environment.GetEnvironmentVariable("POSTGRES_BINDIR");
        if (HasServer(fromEnv))
        {
            return fromEnv!;
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: decimal.TryParse(Path.GetFileName(d), NumberStyles.Number, CultureInfo.InvariantCulture, out var v) ? v : -1))
                .Where(x => HasServer(x.Dir))
                .OrderByDescending(x => x.Version)
                .Select(x => x.Dir)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        var onPath = Path.GetDirectoryName(Posix.Which("postgres") ?? string.Empty);
        if (HasServer(onPath))
        {
            return onPath!;
        }

        throw new MissingBinaryException($"PostgreSQL server binaries (initdb, postgres) were not found in $POSTGRES_BINDIR, {debianRoot}/*/bin or PATH. Install them: {InstallHint}")
        {
            Package = "postgresql",
        };
    }

    /// <summary>Initialises the cluster if needed, starts the server and waits until it accepts connections.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning)
        {
            return;
        }

        var bin = FindBinDirectory();
        var dataDir = Path.GetFullPath(Options.DataDirectory);
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(dataDir))!;
        var asPostgres = Posix.IsRoot;
        Directory.CreateDirectory(parent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        if (asPostgres)
        {
            EnsureTraversable(parent);
        }

        if (!File.Exists(Path.Combine(dataDir, "PG_VERSION")))
        {
            await InitAsync(bin, dataDir, asPostgres, cancellationToken);
        }
        else if (File.Exists(PasswordFile))
        {
            Password = (await File.ReadAllTextAsync(PasswordFile, cancellationToken)).Trim();
            if (asPostgres)
            {
                // A folder first created by a non-root run (or restored from elsewhere) must belong to postgres.
                await ChownAsync(dataDir, cancellationToken);
            }
        }
        else
        {
            throw new InvalidOperationException(
                $"The Postgres data folder {dataDir} exists but its password file {PasswordFile} is missing. Delete the folder to start afresh, or restore the file.");
        }

        if (Port == 0)
        {
            Port = LoopbackPort.GetFree();
        }

        var socketDir = await SocketDirectoryAsync(dataDir, asPostgres, cancellationToken);
        List<string> args =
        [
            "-D", dataDir,
            "-p", Port.ToString(CultureInfo.InvariantCulture),
            "-c", "listen_addresses=127.0.0.1",
            "-c", $"unix_socket_directories={socketDir}",
            "-c", $"max_connections={Options.MaxConnections.ToString(CultureInfo.InvariantCulture)}",
        ];
        if (!Options.Durable)
        {
            args.AddRange(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
        }

        foreach (var setting in Options.Settings)
        {
            args.AddRange(["-c", setting]);
        }

        _process = await ChildProcess.StartAsync(new ChildProcessOptions(Path.Combine(bin, "postgres"), args)
        {
            WorkingDirectory = dataDir,
            RunAsUser = asPostgres ? User : null,
            ParentDeathSignal = Posix.SIGINT,
            OnOutput = Options.Log,
        });

        try
        {
            await WaitUntilReadyAsync(cancellationToken);
        }
        catch
        {
            await StopAsync(CancellationToken.None);
            throw;
        }
    }

    /// <summary>Fast shutdown (SIGINT), waiting for the postmaster to exit; SIGKILL after a minute or when <paramref name="force"/> fires.</summary>
    public async Task StopAsync(CancellationToken force = default)
    {
        if (_process is null)
        {
            return;
        }

        await _process.StopAsync(Posix.SIGINT, TimeSpan.FromSeconds(60), force);
        _process.Dispose();
        _process = null;
    }

    /// <summary>Creates <paramref name="database"/> unless it exists.</summary>
    public Task CreateDatabaseAsync(string database, CancellationToken cancellationToken = default) =>
        CreateDatabaseAsync(GetConnectionString(), database, cancellationToken);

    /// <summary>
    /// Creates <paramref name="database"/> on the server <paramref name="adminConnectionString"/> points to, unless
    /// it exists. Concurrent creations copy template1 at once and may collide (55006): they are retried.
    /// </summary>
    public static async Task CreateDatabaseAsync(string adminConnectionString, string database, CancellationToken cancellationToken = default)
    {
        var csb = new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false };
        for (var attempt = 1; ; attempt++)
        {
            await using var conn = new NpgsqlConnection(csb.ConnectionString);
            await conn.OpenAsync(cancellationToken);
            await using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", conn) { Parameters = { new() { Value = database } } })
            {
                if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
                {
                    return;
                }
            }

            try
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", conn);
                await create.ExecuteNonQueryAsync(cancellationToken);
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse && attempt < 20)
            {
                await Task.Delay(50 * attempt, cancellationToken);
            }
        }
    }

    /// <summary>Polls until the server at <paramref name="connectionString"/> accepts a connection.</summary>
    /// <param name="connectionString">Any Npgsql connection string.</param>
    /// <param name="timeout">How long to keep trying.</param>
    /// <param name="isDead">Stops waiting early (the process exited): returns the reason, or null to go on.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public static async Task WaitUntilReachableAsync(string connectionString, TimeSpan timeout, Func<string?>? isDead = null, CancellationToken cancellationToken = default)
    {
        var csb = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 3 };
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
                await using var conn = new NpgsqlConnection(csb.ConnectionString);
                await conn.OpenAsync(cancellationToken);
                return;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
            {
                throw new InvalidOperationException($"Postgres at {csb.Host}:{csb.Port} refused the credentials: {e.MessageText}", e);
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException or IOException)
            {
                last = e;
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException($"Postgres at {csb.Host}:{csb.Port} did not accept connections within {timeout.TotalSeconds:0} s: {last?.Message}", last);
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var process = _process!;
        await WaitUntilReachableAsync(
            GetConnectionString(),
            Options.StartTimeout,
            () => process.HasExited
                ? $"postgres exited with code {process.Exited.Result} while starting:{Environment.NewLine}{string.Join(Environment.NewLine, process.RecentOutput.TakeLast(20))}"
                : null,
            cancellationToken);
    }

    private async Task InitAsync(string bin, string dataDir, bool asPostgres, CancellationToken cancellationToken)
    {
        if (Directory.Exists(dataDir) && Directory.EnumerateFileSystemEntries(dataDir).Any())
        {
            throw new InvalidOperationException($"{dataDir} is not empty but holds no Postgres cluster (no PG_VERSION): move it away or choose another data folder.");
        }

        Directory.CreateDirectory(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await WritePrivateFileAsync(PasswordFile, Password, cancellationToken);

        // initdb reads the password from a file; as root, a copy postgres may read, deleted right after.
        var pwfile = Path.Combine(Path.GetDirectoryName(dataDir)!, $".{Path.GetFileName(dataDir)}.initdb-pw");
        await WritePrivateFileAsync(pwfile, Password, cancellationToken);
        try
        {
            if (asPostgres)
            {
                await ChownAsync(dataDir, cancellationToken);
                await ChownAsync(pwfile, cancellationToken);
            }

            List<string> args =
            [
                "-D", dataDir, "-U", User, "--auth-local=trust", "--auth-host=scram-sha-256",
                $"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8",
            ];
            if (!Options.Durable)
            {
                args.Add("--no-sync");
            }

            await ChildProcess.RunToCompletionAsync(
                new ChildProcessOptions(Path.Combine(bin, "initdb"), args)
                {
                    WorkingDirectory = dataDir,
                    RunAsUser = asPostgres ? User : null,
                    OnOutput = Options.Log,
                },
                cancellationToken);
        }
        catch
        {
            // Leave no half-made cluster behind: the next start would refuse the non-empty folder.
            Directory.Delete(dataDir, recursive: true);
            File.Delete(PasswordFile);
            throw;
        }
        finally
        {
            File.Delete(pwfile);
        }
    }

    /// <summary>
    /// A folder beside the data folder for the Unix socket (psql -h DIR connects without a password), or none when
    /// the path would exceed the 107-byte limit of a socket address.
    /// </summary>
    private static async Task<string> SocketDirectoryAsync(string dataDir, bool asPostgres, CancellationToken cancellationToken)
    {
        var dir = Path.TrimEndingDirectorySeparator(dataDir) + "-run";
        if (dir.Length + "/.s.PGSQL.65535".Length > 100)
        {
            return string.Empty;
        }

        Directory.CreateDirectory(dir);
        if (asPostgres)
        {
            await ChownAsync(dir, cancellationToken);
        }

        return dir;
    }

    private static async Task WritePrivateFileAsync(string path, string content, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        await using var writer = new StreamWriter(stream);
        await writer.WriteAsync(content.AsMemory(), cancellationToken);
    }

    private static Task ChownAsync(string path, CancellationToken cancellationToken) =>
        ChildProcess.RunToCompletionAsync(new ChildProcessOptions(Posix.Which("chown") ?? "chown", ["-R", $"{User}:{User}", path]), cancellationToken);

    /// <summary>The postgres user must be able to reach the data folder through every parent.</summary>
    private static void EnsureTraversable(string dir)
    {
        for (var d = new DirectoryInfo(dir); d is not null; d = d.Parent)
        {
            if ((d.UnixFileMode & UnixFileMode.OtherExecute) == 0)
            {
                throw new InvalidOperationException(
                    $"Postgres runs as the '{User}' user, which cannot enter {d.FullName} (mode {Convert.ToString((int)d.UnixFileMode, 8)}). " +
                    $"Choose a data folder elsewhere (--data-dir /var/tmp/jobqueue) or run: chmod o+x {d.FullName}");
            }
        }
    }
}
