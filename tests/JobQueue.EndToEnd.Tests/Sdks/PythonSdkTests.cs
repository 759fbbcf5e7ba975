using JobQueue.Testing;

namespace JobQueue.EndToEnd.Tests.Sdks;

/// <summary>
/// The Python SDK's own unittest suite (sdk/python/tests) against the SDK system, one NUnit test per test module,
/// with Debian's /usr/bin/python3 and its python3-httpx (the python3 first on PATH may be a build without httpx).
/// </summary>
[TestFixture]
public sealed class PythonSdkTests
{
    private const string Python = "/usr/bin/python3";
    private static readonly string SdkDirectory = Path.Combine(TestPaths.RepoRoot, "sdk", "python");

    [OneTimeSetUp]
    public void RequireHttpx()
    {
        // Not a skip: a machine without python3-httpx cannot run the SDK, and CI must install it.
        var probe = ExternalCommand.RunAsync(Python, ["-c", "import httpx"], SdkDirectory).GetAwaiter().GetResult();
        Assert.That(probe.ExitCode, Is.Zero, $"{Python} cannot import httpx (apt-get install python3-httpx): {probe.Text}");
    }

    [TestCase("test_client")]
    [TestCase("test_async_client")]
    [TestCase("test_webhook_signature")]
    [TestCase("test_worker")]
    [TestCase("test_async_worker")]
    [TestCase("test_quickstart")]
    public async Task Module_PassesAgainstTheSystem(string module)
    {
        var result = await ExternalCommand.RunAsync(
            Python,
            ["-m", "unittest", "discover", "-s", "tests", "-p", $"{module}.py", "-v"],
            SdkDirectory,
            new Dictionary<string, string?>
            {
                ["JOBQUEUE_URL"] = SdkSystem.System.GatewayUrl,
                ["JOBQUEUE_ADMIN_KEY"] = SdkSystem.AdminKey,
                ["PYTHONPATH"] = Path.Combine(SdkDirectory, "src"),
                ["PYTHONDONTWRITEBYTECODE"] = "1",
            },
            TimeSpan.FromMinutes(5));

        await TestContext.Out.WriteLineAsync(result.Text);
        Assert.That(result.ExitCode, Is.Zero, $"{module}: {Summary(result)}");
    }

    /// <summary>unittest's verdict lines ("FAIL: test_x (...)", "Ran N tests", "FAILED (failures=1)"), so the assertion names the failing tests.</summary>
    private static string Summary(ExternalCommandResult result) =>
        string.Join(Environment.NewLine, result.Output.Where(line =>
            line.StartsWith("FAIL:", StringComparison.Ordinal) || line.StartsWith("ERROR:", StringComparison.Ordinal)
            || line.StartsWith("Ran ", StringComparison.Ordinal) || line.StartsWith("FAILED", StringComparison.Ordinal)
            || line.StartsWith("OK", StringComparison.Ordinal)));
}
