using System.Collections.Concurrent;
using JobQueue.Testing.Resources;

namespace JobQueue.Testing;

/// <summary>What an <see cref="ExternalCommand"/> did: its exit code and every line it wrote (stdout and stderr interleaved).</summary>
public sealed record ExternalCommandResult(int ExitCode, IReadOnlyList<string> Output)
{
    public string Text => string.Join(Environment.NewLine, Output);
}

/// <summary>
/// Runs a program of another toolchain (npm, node, python3, go, a built tool) to completion: the SDKs' own test suites
/// run this way against the system a fixture started, so their results are counted with the .NET tests.
/// </summary>
public static class ExternalCommand
{
    /// <summary>Runs <paramref name="fileName"/> in <paramref name="workingDirectory"/>; killed after <paramref name="timeout"/> (exit code 137).</summary>
    public static async Task<ExternalCommandResult> RunAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string?>? environment = null,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        var lines = new ConcurrentQueue<string>();
        var program = Posix.Which(fileName) ?? fileName;
        using var child = await ChildProcess.StartAsync(new ChildProcessOptions(program, arguments)
        {
            WorkingDirectory = workingDirectory,
            Environment = environment ?? new Dictionary<string, string?>(),
            NewSession = false,
            ParentDeathSignal = Posix.SIGKILL,
            OnOutput = lines.Enqueue,
        });
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? TimeSpan.FromMinutes(5));
        int code;
        try
        {
            code = await child.Exited.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            child.Signal(Posix.SIGKILL);
            code = await child.Exited;
            lines.Enqueue($"{fileName}: killed after {timeout ?? TimeSpan.FromMinutes(5)}");
        }

        return new ExternalCommandResult(code, [.. lines]);
    }
}
