using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace JobQueue.AppHost.Servers;

/// <summary>
/// A Postgres cluster in a data folder that survives restarts: made with <c>initdb</c> (and its database) the first
/// time, kept afterwards. initdb and postgres refuse to run as root, so as root both run as the <c>postgres</c> OS
/// user (which the Debian package creates) through <c>setpriv</c>, which execs in place.
/// </summary>
internal sealed class PostgresCluster(string dataDirectory)
{
    private const string OsUser = "postgres";

    public string DataDirectory { get; } = Path.GetFullPath(dataDirectory);

    /// <summary>Beside the data folder (initdb wants an empty one), owner-only.</summary>
    public string PasswordFile => DataDirectory + ".password";

    public static bool RunsAsRoot => Environment.UserName == "root";

    /// <summary>$POSTGRES_BINDIR, else the newest /usr/lib/postgresql/*/bin (Debian), else PATH.</summary>
    public static string BinDirectory()
    {
        static bool HasServer(string? dir) => dir is { Length: > 0 } && File.Exists(Path.Combine(dir, "postgres")) && File.Exists(Path.Combine(dir, "initdb"));
        if (Environment.GetEnvironmentVariable("POSTGRES_BINDIR") is { } fromEnv && HasServer(fromEnv))
        {
            return fromEnv;
        }

        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => decimal.TryParse(Path.GetFileName(d), NumberStyles.Number, CultureInfo.InvariantCulture, out var v) ? v : -1)
                .Select(d => Path.Combine(d, "bin"))
                .FirstOrDefault(HasServer)
            : null;
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').FirstOrDefault(HasServer);
        return debian ?? onPath ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, postgres) were not found in $POSTGRES_BINDIR, /usr/lib/postgresql/*/bin or PATH: apt-get install -y postgresql, or set ConnectionStrings__postgres to a server you run.");
    }

    /// <summary>The program and arguments that run <paramref name="binary"/> as the right OS user.</summary>
    public static IReadOnlyList<string> AsServerUser(string binary, params string[] args) =>
        RunsAsRoot ? ["setpriv", $"--reuid={OsUser}", $"--regid={OsUser}", "--init-groups", "--", binary, .. args] : [binary, .. args];

    /// <summary>The superuser password: read, or made (with the cluster) on first run.</summary>
    /// <exception cref="InvalidOperationException">The cluster exists but its password file is gone.</exception>
    public string Password() =>
        File.Exists(PasswordFile) ? File.ReadAllText(PasswordFile).Trim()
        : File.Exists(Path.Combine(DataDirectory, "PG_VERSION")) ? throw new InvalidOperationException($"The Postgres cluster {DataDirectory} exists but its password file {PasswordFile} is missing: restore it, or delete the folder to start afresh.")
        : NewPassword();

    /// <summary>Makes the cluster and its database unless the folder already holds one.</summary>
    /// <exception cref="InvalidOperationException">initdb failed, or the folder holds something else; the message says what.</exception>
    public async Task EnsureCreatedAsync(string password, string database, bool durable, CancellationToken ct)
    {
        var parent = Path.GetDirectoryName(DataDirectory)!;
        Directory.CreateDirectory(parent);
        if (RunsAsRoot)
        {
            EnsureTraversable(parent);
        }

        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            if (RunsAsRoot)
            {
                // A folder first made by a run as another user must belong to postgres.
                await RunAsync(["chown", "-R", $"{OsUser}:{OsUser}", DataDirectory], null, ct);
            }

            return;
        }

        if (Directory.Exists(DataDirectory) && Directory.EnumerateFileSystemEntries(DataDirectory).Any())
        {
            throw new InvalidOperationException($"{DataDirectory} is not empty but holds no Postgres cluster (no PG_VERSION): move it away or choose another --data-dir.");
        }

        Directory.CreateDirectory(DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var pwfile = Path.Combine(parent, $".{Path.GetFileName(DataDirectory)}.initdb-pw");
        WritePrivate(pwfile, password);
        try
        {
            if (RunsAsRoot)
            {
                await RunAsync(["chown", "-R", $"{OsUser}:{OsUser}", DataDirectory, pwfile], null, ct);
            }

            var bin = BinDirectory();
            string[] initdb = ["-D", DataDirectory, "-U", LocalPostgresResource.SuperUser, "--auth-local=trust", "--auth-host=scram-sha-256", $"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8", .. durable ? Array.Empty<string>() : ["--no-sync"]];
            await RunAsync(AsServerUser(Path.Combine(bin, "initdb"), initdb), null, ct);

            // Single-user mode makes the database before any server listens: nothing can connect half-made.
            await RunAsync(AsServerUser(Path.Combine(bin, "postgres"), "--single", "-D", DataDirectory, "postgres"), $"CREATE DATABASE {database};\n", ct);
        }
        catch
        {
            // No half-made cluster left behind: the next start would refuse the non-empty folder.
            Directory.Delete(DataDirectory, recursive: true);
            throw;
        }
        finally
        {
            File.Delete(pwfile);
        }
    }

    private string NewPassword()
    {
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        Directory.CreateDirectory(Path.GetDirectoryName(PasswordFile)!);
        WritePrivate(PasswordFile, password);
        return password;
    }

    private static void WritePrivate(string path, string content)
    {
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        using var writer = new StreamWriter(stream);
        writer.Write(content);
    }

    /// <summary>The postgres user must reach the data folder through every parent.</summary>
    private static void EnsureTraversable(string directory)
    {
        for (var d = new DirectoryInfo(directory); d is not null; d = d.Parent)
        {
            if ((d.UnixFileMode & UnixFileMode.OtherExecute) == 0)
            {
                throw new InvalidOperationException(
                    $"Postgres runs as the '{OsUser}' user, which cannot enter {d.FullName} (mode {Convert.ToString((int)d.UnixFileMode, 8)}): choose a data folder elsewhere (--data-dir /var/tmp/jobqueue) or chmod o+x {d.FullName}.");
            }
        }
    }

    private static async Task RunAsync(IReadOnlyList<string> command, string? input, CancellationToken ct)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input is not null };
        foreach (var arg in command.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', command)} exited with code {process.ExitCode}: {await stderr}{await stdout}");
        }
    }
}
