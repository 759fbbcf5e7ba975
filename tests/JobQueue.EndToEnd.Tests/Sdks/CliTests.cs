using System.Net.Http.Json;
using System.Text.Json;
using JobQueue.Testing;
using static JobQueue.Testing.Polling;

namespace JobQueue.EndToEnd.Tests.Sdks;

/// <summary>
/// <c>jobq</c> (<c>sdk/dotnet/JobQueue.Cli</c>, as built) against the SDK system through its gateway, as a script runs
/// it: its <c>--json</c> output parsed, its exit codes relied on, its settings from flags, the environment or its
/// config file (in a folder of each test's own, through <c>XDG_CONFIG_HOME</c>).
/// </summary>
[TestFixture]
public sealed class CliTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static readonly string Jobq = Path.Combine(TestPaths.RepoRoot, "sdk", "dotnet", "JobQueue.Cli", "bin", "Debug", "net10.0", "jobq.dll");

    [Test]
    public async Task EnqueueShowAndList_PrintJsonThatScriptsRead_AgainstTheSystem()
    {
        var cli = await NewAccountAsync();
        var tag = $"cli={Guid.NewGuid():N}";

        var enqueued = await cli.JsonAsync("enqueue", "echo", "--payload", """{"to":"ada@example.com"}""", "--priority", "7", "--tag", tag);
        var id = enqueued.GetProperty("id").GetGuid();
        JsonElement shown = default;
        await WaitUntil(async () => (shown = await cli.JsonAsync("show", id.ToString())).GetProperty("job").GetProperty("status").GetString() == "completed", Bound, "jobq show says completed");
        var listed = await cli.JsonAsync("list", "--tag", tag);
        var plain = await cli.RunAsync("enqueue", "noop");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(enqueued.GetProperty("priority").GetInt32(), Is.EqualTo(7));
            Assert.That(shown.GetProperty("job").GetProperty("result").GetProperty("to").GetString(), Is.EqualTo("ada@example.com"));
            Assert.That(shown.GetProperty("attempts").EnumerateArray().Select(a => a.GetProperty("outcome").GetString()), Is.EqualTo(new[] { "completed" }));
            Assert.That(listed.EnumerateArray().Select(j => j.GetProperty("id").GetGuid()), Is.EqualTo(new[] { id }));
            Assert.That(plain.ExitCode, Is.Zero, plain.Text);
            Assert.That(Guid.TryParse(plain.Output.LastOrDefault(), out _), Is.True, $"without --json, enqueue prints the id alone: {plain.Text}");
        }
    }

    [Test]
    public async Task ABatch_FromAJsonLinesFile_IsEnqueuedInChunks_AgainstTheSystem()
    {
        var cli = await NewAccountAsync();
        var file = Path.Combine(cli.ConfigHome, "jobs.jsonl");
        var tag = Guid.NewGuid().ToString("N");
        await File.WriteAllLinesAsync(file, Enumerable.Range(0, 150).Select(i =>
            JsonSerializer.Serialize(new { type = "noop", payload = new { i }, tags = new { batch = tag } })));

        var jobs = await cli.JsonAsync("enqueue", "--batch", file);
        var plain = await cli.RunAsync("enqueue", "--batch", file);
        var badLine = Path.Combine(cli.ConfigHome, "bad.jsonl");
        await File.WriteAllTextAsync(badLine, "{\"type\":\"noop\"}\nnot json\n");
        var refused = await cli.RunAsync("enqueue", "--batch", badLine);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(jobs.GetArrayLength(), Is.EqualTo(150));
            Assert.That(jobs.EnumerateArray().Select(j => j.GetProperty("id").GetGuid()).Distinct().Count(), Is.EqualTo(150));
            Assert.That(plain.Output, Does.Contain("enqueued 150 jobs"), plain.Text);
            Assert.That(refused.ExitCode, Is.EqualTo(2), "a line that is no enqueue request is a usage error, and nothing is sent");
            Assert.That(refused.Text, Does.Contain("bad.jsonl:2"));
        }
    }

    [Test]
    public async Task ExitCodes_SayWhatWentWrong_AndTheApisMessageIsOnStderr_AgainstTheSystem()
    {
        var cli = await NewAccountAsync();
        var done = (await cli.JsonAsync("enqueue", "noop")).GetProperty("id").GetString()!;
        await WaitUntil(async () => (await cli.JsonAsync("show", done)).GetProperty("job").GetProperty("status").GetString() == "completed", Bound, "the noop job completes");

        var notFound = await cli.RunAsync("show", Guid.NewGuid().ToString());
        var conflict = await cli.RunAsync("retry", done);
        var wrongKey = await cli.RunAsync("stats", "--api-key", "jq_not-a-key");
        var usage = await cli.RunAsync("list", "--no-such-option");
        var badValue = await cli.RunAsync("enqueue", "echo", "--payload", "[1,2]");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(notFound.ExitCode, Is.EqualTo(3), notFound.Text);
            Assert.That(conflict.ExitCode, Is.EqualTo(1), conflict.Text);
            Assert.That(conflict.Text, Does.Contain("completed"), "the API's message says why");
            Assert.That(wrongKey.ExitCode, Is.EqualTo(4), wrongKey.Text);
            Assert.That(usage.ExitCode, Is.EqualTo(2), usage.Text);
            Assert.That(badValue.ExitCode, Is.Not.Zero, badValue.Text);
        }
    }

    [Test]
    public async Task TheConfigFile_HoldsTheKey_FlagsAndEnvironmentWin_AndLoginStoresAToken_AgainstTheSystem()
    {
        var (key, email) = await RegisterAsync();
        var configHome = TestPaths.NewTempDirectory("jobq-config");
        var bare = new Cli(configHome, apiKey: null);

        var set = await bare.RunAsync("config", "set", "--url", SdkSystem.System.GatewayUrl, "--api-key", key);
        var stats = await bare.JsonAsync("stats");
        var shown = await bare.RunAsync("config", "show");
        var flagWins = await bare.RunAsync("stats", "--api-key", "jq_not-a-key");
        var login = await new Cli(TestPaths.NewTempDirectory("jobq-login"), apiKey: null).RunAsync("login", "--email", email, "--password", Password, "--url", SdkSystem.System.GatewayUrl);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(set.ExitCode, Is.Zero, set.Text);
            Assert.That(File.Exists(Path.Combine(configHome, "jobq", "config.json")), Is.True);
            Assert.That(stats.TryGetProperty("total_jobs", out _), Is.True, stats.ToString());
            Assert.That(shown.Text, Does.Not.Contain(key), "config show shortens the key");
            Assert.That(flagWins.ExitCode, Is.EqualTo(4), "--api-key wins over the config file");
            Assert.That(login.ExitCode, Is.Zero, login.Text);
        }
    }

    [Test]
    public async Task CronWebhooksKeysUsageAndTop_AgainstTheSystem()
    {
        var cli = await NewAccountAsync();

        var cron = await cli.JsonAsync("cron", "create", "nightly", "--type", "noop", "--schedule", "0 3 * * *");
        var schedules = await cli.JsonAsync("cron", "list");
        var cronDeleted = await cli.RunAsync("cron", "delete", cron.GetProperty("id").GetString()!);
        // No job of this account runs, so the webhook is never called (the system sends nothing off this machine).
        var webhook = await cli.JsonAsync("webhook", "create", "https://hooks.example.com/jobqueue");
        var webhookDeleted = await cli.RunAsync("webhook", "delete", webhook.GetProperty("id").GetString()!);
        var key = await cli.JsonAsync("keys", "create", "ci");
        var keys = await cli.JsonAsync("keys", "list");
        var usage = await cli.JsonAsync("usage");
        var top = await cli.RunAsync("top", "--count", "1");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(schedules.EnumerateArray().Select(s => s.GetProperty("name").GetString()), Is.EqualTo(new[] { "nightly" }));
            Assert.That(cronDeleted.ExitCode, Is.Zero, cronDeleted.Text);
            Assert.That(webhook.GetProperty("events").EnumerateArray().Select(e => e.GetString()), Is.EquivalentTo(new[] { "job.completed", "job.failed", "job.dead" }));
            Assert.That(webhookDeleted.ExitCode, Is.Zero, webhookDeleted.Text);
            Assert.That(key.GetProperty("key").GetString(), Is.Not.Empty);
            Assert.That(keys.EnumerateArray().Select(k => k.GetProperty("name").GetString()), Does.Contain("ci"));
            Assert.That(usage.GetProperty("tier").GetString(), Is.EqualTo("free"));
            Assert.That(top.ExitCode, Is.Zero, top.Text);
            Assert.That(top.Text, Does.Contain("default"), "top shows the queues");
        }
    }

    private const string Password = "correct horse battery staple";

    private static async Task<(string Key, string Email)> RegisterAsync()
    {
        using var anonymous = SdkSystem.System.CreateClient(null);
        var email = $"cli-{Guid.NewGuid():N}@example.com";
        // /auth is limited to 1 a second (burst 5) per address: wait out a 429 as a user would.
        HttpResponseMessage response = null!;
        await WaitUntil(async () =>
        {
            response?.Dispose();
            response = await anonymous.PostAsJsonAsync("/auth/register", new { email, password = Password });
            return response.StatusCode != System.Net.HttpStatusCode.TooManyRequests;
        }, Bound, "/auth/register answers other than 429");
        using (response)
        {
            var body = await response.EnvelopeAsync();
            Assert.That(response.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.Created), body.ToString());
            return (body.GetProperty("data").GetProperty("api_key").GetProperty("key").GetString()!, email);
        }
    }

    private static async Task<Cli> NewAccountAsync() =>
        new(TestPaths.NewTempDirectory("jobq-config"), (await RegisterAsync()).Key);

    /// <summary>jobq with the SDK system's address and a key in its environment, and a config folder of its own.</summary>
    private sealed class Cli(string configHome, string? apiKey)
    {
        public string ConfigHome { get; } = configHome;

        public Task<ExternalCommandResult> RunAsync(params string[] arguments)
        {
            var environment = new Dictionary<string, string?>
            {
                ["XDG_CONFIG_HOME"] = ConfigHome,
                ["JOBQUEUE_URL"] = apiKey is null ? null : SdkSystem.System.GatewayUrl,
                ["JOBQUEUE_API_KEY"] = apiKey,
            };
            return ExternalCommand.RunAsync("dotnet", [Jobq, .. arguments], ConfigHome, environment, TimeSpan.FromMinutes(1));
        }

        /// <summary>Runs with <c>--json</c>, asserts exit 0, and parses what it printed.</summary>
        public async Task<JsonElement> JsonAsync(params string[] arguments)
        {
            var result = await RunAsync([.. arguments, "--json"]);
            Assert.That(result.ExitCode, Is.Zero, $"jobq {string.Join(' ', arguments)} --json:{Environment.NewLine}{result.Text}");
            return JsonDocument.Parse(result.Text).RootElement.Clone();
        }
    }
}
