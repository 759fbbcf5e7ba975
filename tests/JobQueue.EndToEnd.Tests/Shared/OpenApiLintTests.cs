using JobQueue.Testing;

namespace JobQueue.EndToEnd.Tests.Shared;

/// <summary>
/// The repository's <c>openapi.yaml</c> passes Redocly's recommended rules (<c>tools/openapi</c>: the pinned
/// <c>@redocly/cli</c>, its <c>redocly.yaml</c> and the few ignored problems, each with why). Warnings fail too,
/// so an operation without an <c>operationId</c> or a response does not slip in.
/// </summary>
[TestFixture]
public sealed class OpenApiLintTests
{
    private static readonly string ToolDirectory = Path.Combine(TestPaths.RepoRoot, "tools", "openapi");

    [Test]
    public async Task OpenApiFile_PassesRedoclyLint_WithoutWarnings()
    {
        var environment = new Dictionary<string, string?> { ["NO_COLOR"] = "1", ["REDOCLY_TELEMETRY"] = "off", ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true" };
        var install = await ExternalCommand.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], ToolDirectory, environment, TimeSpan.FromMinutes(5));
        Assert.That(install.ExitCode, Is.Zero, $"npm ci in tools/openapi failed:{Environment.NewLine}{install.Text}");

        var lint = await ExternalCommand.RunAsync("npx", ["--no-install", "redocly", "lint", "--max-problems", "200"], ToolDirectory, environment, TimeSpan.FromMinutes(3));
        await TestContext.Out.WriteLineAsync(lint.Text);

        Assert.That(lint.ExitCode, Is.Zero, "redocly lint found errors (its output is above)");
        Assert.That(lint.Text, Does.Contain("Your API description is valid"));
        Assert.That(lint.Text, Does.Not.Match(@"You have \d+ warnings?"), "redocly lint found warnings (its output is above)");
    }
}
