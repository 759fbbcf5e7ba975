using JobQueue.Testing;

namespace JobQueue.EndToEnd.Tests.Sdks;

/// <summary>
/// The Node/TypeScript SDK (<c>sdk/node</c>, <c>@jobqueue/client</c>) against the SDK system through its gateway:
/// its own node:test suite, one NUnit test per test file, so a failure names the area. The package is installed
/// from its lock file and built (ESM, CommonJS, declarations) once, as a user's <c>npm ci &amp;&amp; npm run build</c> would.
/// </summary>
[TestFixture]
public sealed class NodeSdkTests
{
    private static readonly string SdkDirectory = Path.Combine(TestPaths.RepoRoot, "sdk", "node");

    private Dictionary<string, string?> _environment = null!;

    /// <summary>Every test file of the suite (node:test runs one file per process).</summary>
    public static IEnumerable<string> TestFiles() =>
        Directory.EnumerateFiles(Path.Combine(SdkDirectory, "test"))
            .Select(Path.GetFileName)
            .Where(name => name!.EndsWith(".test.mjs", StringComparison.Ordinal) || name.EndsWith(".test.cjs", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)!;

    [OneTimeSetUp]
    public async Task InstallAndBuildAsync()
    {
        _environment = new Dictionary<string, string?>
        {
            ["JOBQUEUE_URL"] = SdkSystem.System.GatewayUrl,
            ["JOBQUEUE_ADMIN_KEY"] = SdkSystem.AdminKey,
            ["NO_COLOR"] = "1",
        };
        await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5));
        await RunAsync("npm", ["run", "build"], TimeSpan.FromMinutes(3));
    }

    [TestCaseSource(nameof(TestFiles))]
    public async Task TestFile_PassesAgainstTheSystem(string file)
    {
        var result = await ExternalCommand.RunAsync("node", ["--test", "--test-reporter=spec", $"test/{file}"], SdkDirectory, _environment, TimeSpan.FromMinutes(4));
        await TestContext.Out.WriteLineAsync(result.Text);
        Assert.That(result.ExitCode, Is.Zero, $"node --test test/{file} failed (its output is above)");
    }

    private async Task RunAsync(string program, string[] arguments, TimeSpan timeout)
    {
        var result = await ExternalCommand.RunAsync(program, arguments, SdkDirectory, _environment, timeout);
        if (result.ExitCode != 0)
        {
            Assert.Fail($"{program} {string.Join(' ', arguments)} exited with {result.ExitCode}:{Environment.NewLine}{result.Text}");
        }
    }
}
