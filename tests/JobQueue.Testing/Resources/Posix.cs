using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace JobQueue.Testing.Resources;

/// <summary>The few POSIX calls .NET does not wrap: sending a chosen signal, checking that a pid is alive.</summary>
internal static partial class Posix
{
    public const int SIGINT = 2;
    public const int SIGQUIT = 3;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    /// <summary>The name setpriv and kill accept: INT, TERM, …</summary>
    public static string SignalName(int signal) => signal switch
    {
        SIGINT => "INT",
        SIGQUIT => "QUIT",
        SIGKILL => "KILL",
        SIGTERM => "TERM",
        _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, "No name known for this signal."),
    };

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when the process is gone.</summary>
    public static bool Signal(int pid, int signal) => pid > 0 && Kill(pid, signal) == 0;

    /// <summary>True while <paramref name="pid"/> exists and is not a zombie waiting to be reaped.</summary>
    public static bool IsAlive(int pid)
    {
        if (pid <= 0 || Kill(pid, 0) != 0)
        {
            return false;
        }

        try
        {
            // /proc/<pid>/stat is "pid (comm) S ...": the state letter follows the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault();
            return state is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <summary>Whether this process runs as root, where initdb and postgres must be run as the postgres user.</summary>
    public static bool IsRoot => Environment.IsPrivilegedProcess;

    /// <summary>
    /// The one child of a <c>dotnet run</c> process (the program it runs), or null when <paramref name="pid"/> is not
    /// one or has no child yet.
    /// </summary>
    public static int? ChildOf(int pid)
    {
        try
        {
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            if (commandLine is not [_, "run", ..])
            {
                return null;
            }

            var children = File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return children is [var only] ? int.Parse(only, System.Globalization.CultureInfo.InvariantCulture) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Finds <paramref name="name"/> on PATH.</summary>
    public static string? Which(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (FileExists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Like <see cref="File.Exists"/>, but false for a symbolic link whose target is gone.</summary>
    public static bool FileExists(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }

        var file = new FileInfo(path);
        return file.Exists && (file.LinkTarget is null || file.ResolveLinkTarget(returnFinalTarget: true) is { Exists: true });
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

/// <summary>Free loopback TCP ports, never the same one twice in this process.</summary>
internal static class LoopbackPort
{
    private static readonly HashSet<int> Handed = [];

    /// <summary>Binds 127.0.0.1:0, reads the port the kernel chose and releases it for the caller's server.</summary>
    public static int GetFree()
    {
        lock (Handed)
        {
            while (true)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (Handed.Add(port))
                {
                    return port;
                }
            }
        }
    }

    /// <summary>True when nothing listens on 127.0.0.1:<paramref name="port"/> yet.</summary>
    public static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
