using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using JobQueue.EndToEnd.Tests.Fuzzing;
using JobQueue.Testing;

namespace JobQueue.EndToEnd.Tests;

/// <summary>
/// Issue 9, "No 5xx for any client input": hostile requests for every operation of openapi.yaml, through the real
/// gateway on 127.0.0.1, as a tenant (and some anonymous and admin). Bounded: FUZZ_REQUESTS (2,000) requests chosen
/// by FUZZ_SEED (random, printed on failure), so a failure is replayed with the same two values.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FuzzTests
{
    private const string AdminKey = "fuzz-admin-key";
    private const string StripeWebhookSecret = "whsec_fuzz_secret";

    private static readonly string[] CountedTables = ["jobs", "cron_schedules", "webhooks", "api_keys", "users"];

    private SystemUnderTest _sut = null!;
    private FuzzContext _context = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var environment = Api.FastEnvironment();
        environment["ADMIN_KEY"] = AdminKey;
        environment["STRIPE_WEBHOOK_SECRET"] = StripeWebhookSecret;
        _sut = await SystemUnderTest.StartAsync(new SystemUnderTestOptions { Workers = 1, Environment = environment });
        _context = await CreateTenantAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_sut is not null)
        {
            await _sut.DisposeAsync();
        }
    }

    [Test]
    public async Task HostileRequests_OnEveryOperation_GetA4xxInTheEnvelope_AndRejectedOnesCreateNothing()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next();
        var budget = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_REQUESTS"), CultureInfo.InvariantCulture, out var b) ? b : 2_000;
        var operations = OpenApiOperations.Load(OpenApiOperations.FindFile());
        var run = new FuzzRun(_context, seed, budget);
        var chosen = run.Choose(FuzzCases.All(operations), FuzzCases.Mixed(operations, new Random(seed)));
        TestContext.Progress.WriteLine($"Fuzz: {chosen.Count} requests over {operations.Count} operations, FUZZ_SEED={seed}");
        using var bound = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        var logFrom = _sut.LogLines.Count;

        // Rejected requests (and reads) first, alone, so any row that appears meanwhile is theirs.
        var before = await CountRowsAsync();
        await run.SendAsync([.. chosen.Where(c => c.Expectation != FuzzExpectation.MayCreate)], parallelism: 8, bound.Token);
        var after = await CountRowsAsync();
        var created = string.Join(", ", CountedTables.Where(t => after[t] != before[t]).Select(t => $"{t} {before[t]} -> {after[t]}"));

        await run.SendAsync([.. chosen.Where(c => c.Expectation == FuzzExpectation.MayCreate)], parallelism: 8, bound.Token);

        using var health = await _sut.CreateClient(null).GetAsync("/health");
        // Issue 9: a client error is one warning line, never an error with a stack trace that fills the log.
        var logErrors = _sut.LogLines.Skip(logFrom).Where(IsErrorLogLine).Take(20).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Offences.Count == 0 && created.Length == 0, Is.True, run.Report(created));
            Assert.That(logErrors, Is.Empty, $"errors logged during the fuzz (FUZZ_SEED={seed}):{Environment.NewLine}{string.Join(Environment.NewLine, logErrors)}");
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"the system is not healthy after the fuzz (FUZZ_SEED={seed})");
        }
    }

    private static bool IsErrorLogLine(string line)
    {
        var message = line.Split('|', 2) is [_, var rest] ? rest.TrimStart() : line.TrimStart();
        return message.StartsWith("fail:", StringComparison.Ordinal) || message.StartsWith("crit:", StringComparison.Ordinal)
            || message.StartsWith("at ", StringComparison.Ordinal) || message.Contains("Exception:", StringComparison.Ordinal);
    }

    /// <summary>An account of its own for the fuzz, with one real job, webhook (to 127.0.0.1) and disabled schedule to aim at.</summary>
    private async Task<FuzzContext> CreateTenantAsync()
    {
        var anonymous = _sut.CreateClient(null);
        using var register = await anonymous.PostAsJsonAsync("/auth/register", new { email = $"fuzz-{Guid.NewGuid():N}@example.com", password = "fuzz-password-1" });
        var account = (await register.EnvelopeAsync()).GetProperty("data");
        Assert.That(register.StatusCode, Is.EqualTo(HttpStatusCode.Created), account.ToString());
        var key = account.GetProperty("api_key").GetProperty("key").GetString()!;
        var tenant = _sut.CreateClient(key);

        async Task<string> CreateAsync(string path, object body)
        {
            using var response = await tenant.PostAsJsonAsync(path, body);
            var created = await response.EnvelopeAsync();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), $"{path}: {created}");
            return created.GetProperty("data").GetProperty("id").GetString()!;
        }

        var ids = new Dictionary<string, string>
        {
            ["jobs"] = await CreateAsync("/api/v1/jobs", new { type = "noop" }),
            ["webhooks"] = await CreateAsync("/api/v1/webhooks", new { url = "http://127.0.0.1:9/fuzz", events = new[] { "job.completed" } }),
            ["cron"] = await CreateAsync("/api/v1/cron", new { name = "fuzz", job_type = "noop", cron_expression = "0 0 1 1 *", enabled = false }),
            ["keys"] = account.GetProperty("api_key").GetProperty("id").GetString()!,
            ["dlq"] = Guid.NewGuid().ToString(),
        };
        return new FuzzContext(new Uri(_sut.GatewayUrl).Port, key, AdminKey, StripeWebhookSecret, ids);
    }

    private async Task<Dictionary<string, long>> CountRowsAsync()
    {
        var counts = new Dictionary<string, long>();
        foreach (var table in CountedTables)
        {
            counts[table] = await _sut.ScalarAsync<long>($"SELECT count(*) FROM {table}");
        }

        return counts;
    }
}
