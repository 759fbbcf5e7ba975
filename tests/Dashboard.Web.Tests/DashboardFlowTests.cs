using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Dashboard.Web.Tests;

/// <summary>
/// What a new user does in the dashboard, in a real Chromium, through the gateway of the whole system: register, keys,
/// jobs moving live, the dead-letter queue, cron, webhooks, another tenant's view, the operator's view, sign out.
/// Every check reads what the page shows; where the page claims a change, the API is asked too.
/// </summary>
[TestFixture]
public sealed partial class DashboardFlowTests
{
    private IPage _page = null!;

    [SetUp]
    public async Task OpenAsync() => _page = await BrowserSession.NewPageAsync();

    [TearDown]
    public async Task CloseAsync() => await _page.Context.CloseAsync();

    [Test]
    public async Task Register_StaysSignedInOnReload_CreatesAKey_AndSignsOut()
    {
        var (email, _) = await Ui.RegisterAsync(_page);
        await Expect(_page.GetByText(email)).ToBeVisibleAsync();

        await _page.ReloadAsync();
        await Expect(_page).ToHaveURLAsync(OverviewUrl());
        await Expect(_page.GetByText(email)).ToBeVisibleAsync();

        await Ui.GoAsync(_page, "API keys");
        await Expect(_page.Locator("tr[data-key-id]")).ToHaveCountAsync(1); // the key made at registration
        await _page.Button("Create key").ClickAsync();
        var dialog = _page.GetByRole(AriaRole.Dialog);
        await dialog.GetByLabel("Name").FillAsync("ci-deploys");
        await dialog.Button("Create").ClickAsync();
        await Expect(_page.GetByTestId("new-api-key")).ToHaveTextAsync(KeyPattern());
        var key = await _page.GetByTestId("new-api-key").TextContentAsync();
        await _page.Button("Done").ClickAsync();
        await Expect(_page.Locator("tr[data-key-id]")).ToHaveCountAsync(2);
        await Expect(_page.Locator("tr[data-key-id]", new() { HasText = "ci-deploys" })).ToBeVisibleAsync();
        await Expect(_page.GetByText(key!)).ToHaveCountAsync(0); // shown once, never listed
        await Ui.ScreenshotAsync(_page, "keys");

        // The key works against the API: the dashboard made a real one.
        using (var client = BrowserSession.System.CreateClient(key))
        using (var stats = await client.GetAsync("/api/v1/stats"))
        {
            Assert.That((int)stats.StatusCode, Is.EqualTo(200));
        }

        // Deleted from the page, the key is refused at once.
        await _page.Locator("tr[data-key-id]", new() { HasText = "ci-deploys" }).GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await _page.GetByRole(AriaRole.Dialog, new() { Name = "Delete API key" }).Button("Delete key").ClickAsync();
        await Expect(_page.Locator("tr[data-key-id]", new() { HasText = "ci-deploys" })).ToHaveCountAsync(0);
        using (var client = BrowserSession.System.CreateClient(key))
        using (var stats = await client.GetAsync("/api/v1/stats"))
        {
            Assert.That((int)stats.StatusCode, Is.EqualTo(401));
        }

        await _page.Button("Sign out").ClickAsync();
        await Expect(_page).ToHaveURLAsync(new Regex(@"/(login(\?next=[^&]+)?)?$")); // signing in again returns to the page left
        await _page.GotoAsync("/jobs");
        await Expect(_page).ToHaveURLAsync(new Regex("/login"));

        await Ui.SignInAsync(_page, email);
        await Expect(_page.GetByText(email)).ToBeVisibleAsync();
    }

    [Test]
    public async Task EnqueuedJob_MovesPendingRunningCompleted_WithoutAReload()
    {
        await Ui.RegisterAsync(_page);
        await Ui.GoAsync(_page, "Jobs");
        await _page.EvaluateAsync("() => { window.__sameDocument = true; }");

        // Delayed by 3 s so "pending" lasts long enough to be seen; then a 2 s sleep so "running" does.
        await _page.Button("Enqueue job").ClickAsync();
        var dialog = _page.GetByRole(AriaRole.Dialog, new() { Name = "Enqueue job" });
        await dialog.GetByLabel("Type").FillAsync("sleep");
        await dialog.GetByLabel("Payload (JSON)").FillAsync("{\"ms\": 2000}");
        await dialog.GetByLabel("Delay (seconds)").FillAsync("3");
        await dialog.Button("Enqueue").ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();

        var row = _page.Locator("tr[data-job-id]").First;
        var badge = row.GetByTestId("status-badge");
        await Expect(badge).ToHaveTextAsync("pending");
        await Expect(badge).ToHaveTextAsync("running", new() { Timeout = 20_000 });
        await Expect(badge).ToHaveTextAsync("completed", new() { Timeout = 20_000 });
        Assert.That(await _page.EvaluateAsync<bool>("() => window.__sameDocument === true"), Is.True, "the page was not reloaded");
        await Ui.ScreenshotAsync(_page, "jobs");

        // Its page: the attempt, with the worker that ran it.
        var id = await row.GetAttributeAsync("data-job-id");
        await _page.GotoAsync($"/jobs/{id}");
        await Expect(_page.GetByRole(AriaRole.Heading, new() { Name = id! })).ToBeVisibleAsync();
        await Expect(_page.GetByTestId("status-badge").First).ToHaveTextAsync("completed");
        await Expect(_page.Locator("tr[data-attempt=\"1\"]")).ToContainTextAsync("completed");
        await Ui.ScreenshotAsync(_page, "job-detail");
    }

    [Test]
    public async Task FailingJob_ReachesTheDeadLetterQueue_AndIsRequeuedFromTheUi()
    {
        var (_, apiKey) = await Ui.RegisterAsync(_page);
        var id = await Ui.EnqueueAsync(_page, "fail", maxAttempts: 2);
        await Expect(Ui.JobRow(_page, id).GetByTestId("status-badge")).ToHaveTextAsync("dead", new() { Timeout = 30_000 });

        await _page.GotoAsync($"/jobs/{id}");
        await Expect(_page.Locator("tr[data-attempt]")).ToHaveCountAsync(2);

        await Ui.GoAsync(_page, "Dead letters");
        var entry = Ui.JobRow(_page, id);
        await Expect(entry).ToBeVisibleAsync();
        await Ui.ScreenshotAsync(_page, "dead-letters");
        await entry.Button("Requeue").ClickAsync();
        await Expect(entry).ToHaveCountAsync(0);

        await _page.GetByLabel("Include requeued").CheckAsync();
        await Expect(Ui.JobRow(_page, id)).ToBeVisibleAsync();

        using var client = BrowserSession.System.CreateClient(apiKey);
        var dlq = await client.GetFromJsonAsync<JsonElement>("/api/v1/dlq?include_requeued=true");
        var requeued = dlq.GetProperty("data").EnumerateArray().Single(e => e.GetProperty("job_id").GetString() == id);
        Assert.That(requeued.GetProperty("requeued").GetBoolean(), Is.True, requeued.ToString());
        var newJob = requeued.GetProperty("new_job_id").GetString();
        await Ui.GoAsync(_page, "Jobs");
        await Expect(Ui.JobRow(_page, newJob!)).ToBeVisibleAsync();
    }

    [Test]
    public async Task CronSchedule_IsExplained_Created_AndPaused()
    {
        var (_, apiKey) = await Ui.RegisterAsync(_page);
        await Ui.GoAsync(_page, "Cron");
        await Expect(_page.GetByTestId("empty")).ToBeVisibleAsync();
        await _page.Button("New schedule").ClickAsync();
        var dialog = _page.GetByRole(AriaRole.Dialog, new() { Name = "New schedule" });
        await dialog.GetByLabel("Name").FillAsync("weekday-report");
        await dialog.GetByLabel("Expression").FillAsync("0 9 * * 1-5");
        await Expect(dialog.GetByTestId("cron-explanation")).ToContainTextAsync("09:00");
        await Expect(dialog.GetByTestId("cron-explanation")).ToContainTextAsync("Monday");
        await Expect(dialog.GetByRole(AriaRole.List, new() { Name = "Next runs" }).Locator("li")).ToHaveCountAsync(5);
        await dialog.GetByLabel("Job type").FillAsync("report.build");
        await Ui.ScreenshotAsync(_page, "cron-new");
        await dialog.Button("Save").ClickAsync();

        var row = _page.Locator("tr[data-cron-name=\"weekday-report\"]");
        await Expect(row).ToContainTextAsync("Active");
        await row.Button("Pause").ClickAsync();
        await Expect(row).ToContainTextAsync("Paused");
        await Expect(row.Button("Resume")).ToBeVisibleAsync();
        await Ui.ScreenshotAsync(_page, "cron");

        using var client = BrowserSession.System.CreateClient(apiKey);
        var list = await client.GetFromJsonAsync<JsonElement>("/api/v1/cron");
        var schedule = list.GetProperty("data").EnumerateArray().Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(schedule.GetProperty("name").GetString(), Is.EqualTo("weekday-report"));
            Assert.That(schedule.GetProperty("cron_expression").GetString(), Is.EqualTo("0 9 * * 1-5"));
            Assert.That(schedule.GetProperty("enabled").GetBoolean(), Is.False);
        }

        // Deleting asks first; "Keep it" keeps it, "Delete" removes it from the page and from the API.
        await row.Button("Delete").ClickAsync();
        var confirm = _page.GetByRole(AriaRole.Dialog, new() { Name = "Delete schedule" });
        await confirm.Button("Keep it").ClickAsync();
        await Expect(confirm).ToBeHiddenAsync();
        await Expect(row).ToBeVisibleAsync();
        await row.Button("Delete").ClickAsync();
        await confirm.Button("Delete").ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
        await Expect(_page.GetByTestId("empty")).ToBeVisibleAsync();
        var after = await client.GetFromJsonAsync<JsonElement>("/api/v1/cron");
        Assert.That(after.GetProperty("data").GetArrayLength(), Is.Zero, after.ToString());
    }

    [Test]
    public async Task Webhook_IsCreated_AndItsDeliveryShowsInTheLog()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await Ui.RegisterAsync(_page);
        await Ui.GoAsync(_page, "Webhooks");
        await _page.Button("New webhook").ClickAsync();
        var dialog = _page.GetByRole(AriaRole.Dialog, new() { Name = "New webhook" });
        await dialog.GetByLabel("URL").FillAsync(receiver.Url("dashboard"));
        await dialog.GetByLabel("Description").FillAsync("orders service");
        await dialog.GetByLabel("job.completed").CheckAsync();
        await dialog.Button("Create").ClickAsync();
        await Expect(_page.GetByTestId("webhook-secret")).ToHaveTextAsync(new Regex(".{16,}"));
        await _page.Button("Done").ClickAsync();

        var row = _page.Locator("tr[data-webhook-id]");
        await Expect(row).ToHaveCountAsync(1);
        await row.Button("Send test").ClickAsync();
        await Polling.WaitUntil(() => receiver.Received("dashboard").Count > 0, TimeSpan.FromSeconds(30), "the test delivery arrives");

        await row.Button("Deliveries").ClickAsync();
        await Expect(_page.Locator("tr[data-delivery-attempt]").First).ToContainTextAsync("200", new() { Timeout = 20_000 });
        await Ui.ScreenshotAsync(_page, "webhooks");
    }

    [Test]
    public async Task SecondUser_SeesNoneOfTheFirstUsersJobsKeysSchedulesOrWebhooks()
    {
        var first = await BrowserSession.RegisterThroughApiAsync();
        using var client = BrowserSession.System.CreateClient(first.ApiKey);
        var job = await PostAsync(client, "/api/v1/jobs", new { type = "first-user-job" });
        await PostAsync(client, "/api/v1/keys", new { name = "first-user-key" });
        await PostAsync(client, "/api/v1/cron", new { name = "first-user-cron", cron_expression = "*/5 * * * *", job_type = "noop" });
        await PostAsync(client, "/api/v1/webhooks", new { url = "http://127.0.0.1:9/first", description = "first-user-hook" });
        var jobId = job.GetProperty("id").GetString()!;

        await Ui.RegisterAsync(_page);
        foreach (var (link, secret) in new[] { ("Jobs", "first-user-job"), ("API keys", "first-user-key"), ("Cron", "first-user-cron"), ("Webhooks", "first-user-hook") })
        {
            await Ui.GoAsync(_page, link);
            await Expect(_page.GetByTestId("empty")).ToBeVisibleAsync(); // the page loaded, with nothing of anyone else's
            Assert.That(await _page.ContentAsync(), Does.Not.Contain(secret), link);
        }

        await _page.GotoAsync($"/jobs/{jobId}");
        await Expect(_page.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
        Assert.That(await _page.ContentAsync(), Does.Not.Contain("first-user-job"));
    }

    [Test]
    public async Task AdminKey_SeesEveryTenant_WithATenantColumn()
    {
        var tenant = await BrowserSession.RegisterThroughApiAsync();
        using var client = BrowserSession.System.CreateClient(tenant.ApiKey);
        var jobId = (await PostAsync(client, "/api/v1/jobs", new { type = "tenant-job" })).GetProperty("id").GetString()!;

        await _page.GotoAsync("/login");
        await _page.Button("Sign in with admin key").ClickAsync();
        await _page.GetByLabel("Admin key").FillAsync(BrowserSession.AdminKey);
        await _page.Button("Sign in").ClickAsync();
        await Expect(_page).ToHaveURLAsync(OverviewUrl());

        await Ui.GoAsync(_page, "Jobs");
        await _page.GetByLabel("Job id").FillAsync(jobId);
        await _page.Button("Open").ClickAsync();
        await Expect(_page.GetByRole(AriaRole.Heading, new() { Name = jobId })).ToBeVisibleAsync();

        await Ui.GoAsync(_page, "Jobs");
        await Expect(_page.GetByRole(AriaRole.Columnheader, new() { Name = "Tenant" })).ToBeVisibleAsync();
    }

    private static async Task<JsonElement> PostAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var envelope = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That((int)response.StatusCode, Is.EqualTo(201), $"{path}: {envelope}");
        return envelope.GetProperty("data");
    }

    [GeneratedRegex("/overview$")]
    private static partial Regex OverviewUrl();

    [GeneratedRegex("^qly_[0-9a-f]{32}$")]
    private static partial Regex KeyPattern();
}
