using System.Text.RegularExpressions;
using JobQueue.Testing;

namespace JobQueue.EndToEnd.Tests.Sdks;

/// <summary>
/// The Go SDK's own suite (<c>sdk/go</c>, <c>go vet</c> and <c>go test</c>) against the SDK system through its
/// gateway. The suite runs once; each Go test is reported here as a test of its own, with its output.
/// Needs Debian's <c>golang-go</c> (Go 1.19).
/// </summary>
[TestFixture]
public sealed partial class GoSdkTests
{
    private static readonly string SdkDirectory = Path.Combine(TestPaths.RepoRoot, "sdk", "go");

    private ExternalCommandResult _vet = null!;
    private ExternalCommandResult _test = null!;
    private Dictionary<string, GoTestResult> _results = null!;

    /// <summary>Every <c>func TestXxx(t *testing.T)</c> of the suite, read from its files so a new test is reported without a change here.</summary>
    public static IEnumerable<string> GoTestNames() =>
        Directory.EnumerateFiles(SdkDirectory, "*_test.go", SearchOption.AllDirectories)
            .SelectMany(file => GoTestFunction().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value))
            .Order(StringComparer.Ordinal);

    [OneTimeSetUp]
    public async Task RunTheSuiteAsync()
    {
        var environment = GoEnvironment();
        environment["JOBQUEUE_URL"] = SdkSystem.System.GatewayUrl;
        environment["JOBQUEUE_ADMIN_KEY"] = SdkSystem.AdminKey;

        _vet = await ExternalCommand.RunAsync("go", ["vet", "./..."], SdkDirectory, environment, TimeSpan.FromMinutes(5));
        _test = await ExternalCommand.RunAsync("go", ["test", "-count=1", "-v", "./..."], SdkDirectory, environment, TimeSpan.FromMinutes(10));
        _results = Parse(_test.Output);
        await TestContext.Out.WriteLineAsync($"go test: exit {_test.ExitCode}, {_results.Values.Count(r => r.Passed)} passed, {_results.Values.Count(r => !r.Passed)} failed");
    }

    [Test]
    public void GoVet_FindsNothing()
    {
        TestContext.Out.WriteLine(_vet.Text);
        Assert.That(_vet.ExitCode, Is.Zero, $"go vet ./...:{Environment.NewLine}{_vet.Text}");
    }

    [Test]
    public void GoTest_ExitsZero()
    {
        TestContext.Out.WriteLine(_test.Text);
        Assert.That(_test.ExitCode, Is.Zero, $"go test ./...:{Environment.NewLine}{_test.Text}");
    }

    [TestCaseSource(nameof(GoTestNames))]
    public void GoTest(string name)
    {
        Assert.That(_results.TryGetValue(name, out var result), Is.True,
            $"{name} did not report PASS or FAIL (did the suite build?):{Environment.NewLine}{_test.Text}");
        TestContext.Out.WriteLine(string.Join(Environment.NewLine, result!.Output));
        Assert.That(result.Passed, Is.True, string.Join(Environment.NewLine, result.Output));
    }

    /// <summary>
    /// The developer's environment, plus: modules resolved from go.mod alone (the SDK has no dependencies, so
    /// nothing is downloaded), and a build cache in the temp folder when HOME cannot hold one (CI runners).
    /// </summary>
    private static Dictionary<string, string?> GoEnvironment()
    {
        var environment = new Dictionary<string, string?> { ["GOFLAGS"] = "-mod=mod" };
        var home = Environment.GetEnvironmentVariable("HOME");
        if (Environment.GetEnvironmentVariable("GOCACHE") is null && !IsWritableDirectory(home))
        {
            var root = Path.Combine(Path.GetTempPath(), "jobqueue-go");
            environment["GOCACHE"] = Path.Combine(root, "cache");
            environment["GOPATH"] = Path.Combine(root, "path");
        }

        return environment;
    }

    private static bool IsWritableDirectory(string? path)
    {
        if (string.IsNullOrEmpty(path) || !Directory.Exists(path))
        {
            return false;
        }

        try
        {
            var probe = Path.Combine(path, $".jobqueue-go-probe-{Guid.NewGuid():N}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The verdict of each top-level test in <c>go test -v</c> output, with the lines from its <c>=== RUN</c> to the next.</summary>
    private static Dictionary<string, GoTestResult> Parse(IReadOnlyList<string> lines)
    {
        var results = new Dictionary<string, GoTestResult>(StringComparer.Ordinal);
        var output = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        List<string>? current = null;
        foreach (var line in lines)
        {
            if (RunLine().Match(line) is { Success: true } run)
            {
                current = output.TryGetValue(run.Groups[1].Value, out var existing) ? existing : output[run.Groups[1].Value] = [];
            }

            current?.Add(line);
            if (VerdictLine().Match(line) is { Success: true } verdict)
            {
                var name = verdict.Groups[2].Value;
                results[name] = new GoTestResult(verdict.Groups[1].Value == "PASS", output.TryGetValue(name, out var seen) ? seen : [line]);
            }
        }

        return results;
    }

    private sealed record GoTestResult(bool Passed, IReadOnlyList<string> Output);

    [GeneratedRegex(@"^func (Test\w+)\(t \*testing\.T\)", RegexOptions.Multiline)]
    private static partial Regex GoTestFunction();

    [GeneratedRegex(@"^=== (?:RUN|CONT)\s+(Test\w+)$")]
    private static partial Regex RunLine();

    [GeneratedRegex(@"^--- (PASS|FAIL): (Test\w+) \(")]
    private static partial Regex VerdictLine();
}
