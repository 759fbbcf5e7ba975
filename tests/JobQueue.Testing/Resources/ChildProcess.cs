using System.Collections.Concurrent;
using System.Diagnostics;

namespace JobQueue.Testing.Resources;

/// <summary>How to start a <see cref="ChildProcess"/>.</summary>
internal sealed record ChildProcessOptions(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>Variables added to (or, with a null value, removed from) the inherited environment.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    public string? WorkingDirectory { get; init; }

    /// <summary>Run as this OS user (through <c>setpriv</c>; needs root).</summary>
    public string? RunAsUser { get; init; }

    /// <summary>
    /// Signal the child receives when this process dies without stopping it (through <c>setpriv --pdeathsig</c>),
    /// so a SIGKILLed launcher leaves no server behind.
    /// </summary>
    public int? ParentDeathSignal { get; init; }

    /// <summary>
    /// Start the child in its own session (through <c>setsid</c>) so that a Ctrl+C in the terminal reaches only this
    /// process, which then stops the children in order, instead of every process of the foreground group at once.
    /// </summary>
    public bool NewSession { get; init; } = true;

    /// <summary>Called with each line of the child's stdout and stderr, on a thread-pool thread.</summary>
    public Action<string>? OnOutput { get; init; }
}

/// <summary>
/// A child process whose output is streamed line by line and kept (the last lines) for error messages, and that is
/// stopped with a chosen signal, then SIGKILL after a grace period. The wrappers <c>setsid</c> and <c>setpriv</c>
/// exec in place, so <see cref="Pid"/> is the pid of the program itself and signals reach it.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private const int KeptLines = 200;

    private readonly Process _process;
    private readonly Queue<string> _recent = new();
    private readonly Action<string>? _onOutput;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(Process process, Action<string>? onOutput)
    {
        _process = process;
        _onOutput = onOutput;
    }

    /// <summary>The pid of the program (the wrappers exec in place).</summary>
    public int Pid { get; private set; }

    /// <summary>Completes with the exit code (128 + signal when killed by a signal) once the process has exited.</summary>
    public Task<int> Exited => _exited.Task;

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>The last lines the process wrote (stdout and stderr interleaved).</summary>
    public IReadOnlyList<string> RecentOutput
    {
        get
        {
            lock (_recent)
            {
                return [.. _recent];
            }
        }
    }

    public static async Task<ChildProcess> StartAsync(ChildProcessOptions options)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = options.WorkingDirectory ?? string.Empty,
        };
        foreach (var part in CommandLine(options))
        {
            info.ArgumentList.Add(part);
        }

        info.FileName = info.ArgumentList[0];
        info.ArgumentList.RemoveAt(0);
        foreach (var (key, value) in options.Environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var child = new ChildProcess(process, options.OnOutput);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data, child._stdoutClosed);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data, child._stderrClosed);
        process.Exited += (_, _) => child.OnExited();

        await ProcessSpawner.StartAsync(process);
        child.Pid = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs a short command (initdb, chown) to completion; throws with its output when it fails.</summary>
    public static async Task RunToCompletionAsync(ChildProcessOptions options, CancellationToken cancellationToken)
    {
        using var child = await StartAsync(options with { NewSession = false });
        var code = await child.Exited.WaitAsync(cancellationToken);
        if (code != 0)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(options.FileName)} exited with code {code}:{System.Environment.NewLine}{string.Join(System.Environment.NewLine, child.RecentOutput)}");
        }
    }

    /// <summary>Sends <paramref name="signal"/> unless the process has already exited.</summary>
    public bool Signal(int signal) => !HasExited && Posix.Signal(Pid, signal);

    /// <summary>
    /// Sends <paramref name="signal"/>, waits up to <paramref name="grace"/> (or until <paramref name="force"/> fires)
    /// for the process to exit, then SIGKILLs it. Returns the exit code.
    /// </summary>
    public async Task<int> StopAsync(int signal, TimeSpan grace, CancellationToken force = default)
    {
        Signal(signal);
        try
        {
            return await Exited.WaitAsync(grace, force);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            Signal(Posix.SIGKILL);
            return await Exited;
        }
    }

    public void Dispose()
    {
        if (!HasExited)
        {
            Signal(Posix.SIGKILL);
        }

        _process.Dispose();
    }

    private static List<string> CommandLine(ChildProcessOptions options)
    {
        var command = new List<string>();
        if (options.NewSession && Posix.Which("setsid") is { } setsid)
        {
            command.Add(setsid);
        }

        if (options.RunAsUser is not null || options.ParentDeathSignal is not null)
        {
            var setpriv = Posix.Which("setpriv");
            if (setpriv is not null)
            {
                command.Add(setpriv);
                if (options.RunAsUser is { } user)
                {
                    command.AddRange([$"--reuid={user}", $"--regid={user}", "--init-groups"]);
                }

                if (options.ParentDeathSignal is { } sig)
                {
                    command.AddRange(["--pdeathsig", Posix.SignalName(sig)]);
                }

                command.Add("--");
            }
            else if (options.RunAsUser is not null)
            {
                throw new InvalidOperationException($"setpriv (util-linux) is needed to run {options.FileName} as {options.RunAsUser}.");
            }
        }

        command.Add(options.FileName);
        command.AddRange(options.Arguments);
        return command;
    }

    private void OnLine(string? line, TaskCompletionSource closed)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        lock (_recent)
        {
            _recent.Enqueue(line);
            if (_recent.Count > KeptLines)
            {
                _recent.Dequeue();
            }
        }

        _onOutput?.Invoke(line);
    }

    private void OnExited()
    {
        var code = _process.ExitCode;

        // Let the last lines reach the log before reporting the exit; a grandchild that inherited the pipes
        // (a postgres backend) may keep them open, hence the bound.
        _ = Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task)
            .WaitAsync(TimeSpan.FromSeconds(1))
            .ContinueWith(_ => _exited.TrySetResult(code), TaskScheduler.Default);
    }
}

/// <summary>
/// Forks every child from one dedicated, never-ending thread. Linux ties PR_SET_PDEATHSIG to the thread that forked,
/// not to the process: a child forked from a thread-pool thread would receive its parent-death signal as soon as the
/// pool retires that thread.
/// </summary>
internal static class ProcessSpawner
{
    private static readonly BlockingCollection<(Process Process, TaskCompletionSource Started)> Requests = [];

    static ProcessSpawner() => new Thread(Run) { IsBackground = true, Name = "process-spawner" }.Start();

    public static Task StartAsync(Process process)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Requests.Add((process, started));
        return started.Task;
    }

    private static void Run()
    {
        foreach (var (process, started) in Requests.GetConsumingEnumerable())
        {
            try
            {
                process.Start();
                started.SetResult();
            }
            catch (Exception e)
            {
                started.SetException(e);
            }
        }
    }
}
