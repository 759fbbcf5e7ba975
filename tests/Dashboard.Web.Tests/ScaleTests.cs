using System.Diagnostics;
using System.Net.Http.Json;

namespace Dashboard.Web.Tests;

/// <summary>
/// The dashboard under load, measured in the browser and reported (TestResults/dashboard/scale.txt and the test
/// output), not timed against a bound: the jobs page over 100,000 jobs (the server pages, the page never holds more
/// than one), and the live feed at about 1,000 events per second (frames batched into one render per animation frame).
/// What is asserted is the mechanism: every frame arrives, renders stay at or below the display's frame rate, the feed
/// stays capped.
/// </summary>
[TestFixture]
public sealed class ScaleTests
{
    private const int Jobs = 100_000;
    private const int BatchSize = 500;

    private IPage _page = null!;

    [TearDown]
    public async Task CloseAsync()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            await Ui.ScreenshotAsync(_page, "failed-scale");
        }

        await _page.Context.CloseAsync();
    }

    [Test]
    public async Task JobsPage_With100kJobs_AndLiveFeed_At1000EventsPerSecond()
    {
        var report = new List<string>();
        using var client = BrowserSession.System.CreateClient(BrowserSession.System.ApiKey);
        var type = "scale-" + Guid.NewGuid().ToString("N")[..6];

        // Due tomorrow: the page is read over 100,000 jobs while the rest of the suite keeps the machine's 2 cores. Run
        // at once, they cost a minute of both cores and 300,000 events to the admin's page (the burst below is the feed's test).
        var dueLater = DateTime.UtcNow.AddDays(1).ToString("O");
        var enqueue = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, Jobs / BatchSize), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (_, ct) =>
        {
            var batch = Enumerable.Range(0, BatchSize).Select(i => new { type, payload = new { i }, scheduled_at = dueLater }).ToArray();
            using var response = await client.PostAsJsonAsync("/api/v1/jobs/batch", batch, ct);
            Assert.That((int)response.StatusCode, Is.EqualTo(201), await response.Content.ReadAsStringAsync(ct));
        });
        report.Add(Line($"enqueued {Jobs:N0} jobs in {enqueue.Elapsed.TotalSeconds:0.0} s"));

        _page = await BrowserSession.NewPageAsync();
        await SignInAsAdminAsync();

        var load = Stopwatch.StartNew();
        await _page.GotoAsync("/jobs?type=" + type);
        await Expect(_page.Locator("tr[data-job-id]").First).ToBeVisibleAsync();
        report.Add(Line($"jobs page, first rows of {Jobs:N0}: {load.ElapsedMilliseconds} ms"));
        var rows = await _page.Locator("tr[data-job-id]").CountAsync();
        Assert.That(rows, Is.InRange(1, 200), "one page of rows, not the tenant's whole history");

        var first = await Ui.JobIdsAsync(_page);
        var next = Stopwatch.StartNew();
        await _page.Button("Next").ClickAsync();
        await Expect(_page.Locator($"tr[data-job-id=\"{first[0]}\"]")).ToHaveCountAsync(0);
        await Expect(_page.Locator("tr[data-job-id]").First).ToBeVisibleAsync();
        report.Add(Line($"next page: {next.ElapsedMilliseconds} ms"));

        // The live feed: ~333 jobs/s for 15 s is ~1,000 job events/s (enqueued, started, completed).
        var overview = Stopwatch.StartNew();
        await Ui.GoAsync(_page, "Overview");
        await Expect(_page.GetByRole(AriaRole.Region, new() { Name = "Live events" })).ToBeVisibleAsync(new() { Timeout = 60_000 });
        report.Add(Line($"overview after the jobs pages: {overview.ElapsedMilliseconds} ms"));
        await _page.EvaluateAsync("""
            () => {
              window.__longTasks = 0;
              new PerformanceObserver(list => { window.__longTasks += list.getEntries().length; }).observe({ entryTypes: ['longtask'] });
            }
            """);
        var before = await LiveCountersAsync();
        // DASHBOARD_PROFILE=1: the page's CPU profile over the burst, for Chromium's DevTools (Performance tab, load file).
        var profiler = Environment.GetEnvironmentVariable("DASHBOARD_PROFILE") == "1" ? await _page.Context.NewCDPSessionAsync(_page) : null;
        if (profiler is not null)
        {
            await profiler.SendAsync("Profiler.enable");
            await profiler.SendAsync("Profiler.start");
        }

        var feed = Stopwatch.StartNew();
        var sent = 0;
        while (feed.Elapsed < TimeSpan.FromSeconds(15))
        {
            var batch = Enumerable.Range(0, 50).Select(i => new { type = "noop", payload = new { i } }).ToArray();
            using var response = await client.PostAsJsonAsync("/api/v1/jobs/batch", batch);
            Assert.That((int)response.StatusCode, Is.EqualTo(201));
            sent += batch.Length;
            await Task.Delay(TimeSpan.FromMilliseconds(150) - TimeSpan.FromTicks(feed.Elapsed.Ticks % TimeSpan.FromMilliseconds(150).Ticks));
        }

        await Task.Delay(TimeSpan.FromSeconds(2)); // the last jobs complete
        if (profiler is not null)
        {
            var profile = await profiler.SendAsync("Profiler.stop");
            await File.WriteAllTextAsync(Path.Combine(BrowserSession.OutputDirectory, "live-feed.cpuprofile"), profile!.Value.GetProperty("profile").GetRawText());
        }

        var seconds = feed.Elapsed.TotalSeconds;
        var after = await LiveCountersAsync();
        var frames = after.Frames - before.Frames;
        var renders = after.Renders - before.Renders;
        var longTasks = await _page.EvaluateAsync<int>("() => window.__longTasks");
        var listed = await _page.GetByRole(AriaRole.Region, new() { Name = "Live events" }).Locator("li").CountAsync();
        report.Add(Line($"live feed: {sent:N0} jobs in {seconds:0.0} s; {frames:N0} frames ({frames / seconds:N0}/s), {renders:N0} renders ({renders / seconds:0.0}/s), {longTasks} long tasks (>50 ms), {listed} events listed"));

        // The page still answers a click at once after the burst.
        var click = Stopwatch.StartNew();
        await Ui.GoAsync(_page, "Jobs");
        await Expect(_page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Jobs", new() { Timeout = 60_000 });
        report.Add(Line($"navigation after the burst: {click.ElapsedMilliseconds} ms"));

        File.WriteAllLines(Path.Combine(BrowserSession.OutputDirectory, "scale.txt"), report);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(frames, Is.GreaterThanOrEqualTo(sent * 2), "the enqueued and completed frames of every job arrived (reconnects aside)");
            Assert.That(renders, Is.LessThanOrEqualTo(frames / 10), "frames are batched: many frames per render");
            Assert.That(renders / seconds, Is.LessThanOrEqualTo(65), "at most one render per animation frame");
            Assert.That(listed, Is.InRange(1, 500), "the feed is capped");
        }
    }

    private async Task SignInAsAdminAsync()
    {
        await _page.GotoAsync("/login");
        await _page.Button("Sign in with admin key").ClickAsync();
        await _page.GetByLabel("Admin key").FillAsync(BrowserSession.AdminKey);
        await _page.Button("Sign in").ClickAsync();
        await Expect(_page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/overview$"));
    }

    private async Task<(long Frames, long Renders)> LiveCountersAsync()
    {
        var counters = await _page.EvaluateAsync<long[]>("() => [window.__jobqueueLive?.frames ?? 0, window.__jobqueueLive?.renders ?? 0]");
        return (counters[0], counters[1]);
    }

    private static string Line(string text)
    {
        TestContext.Out.WriteLine(text);
        return text;
    }
}
