using System.Net.Http.Json;

namespace Dashboard.Web.Tests;

/// <summary>
/// The pages a user reads rather than acts on (overview, workers, usage and billing), at desktop and phone widths, and
/// by keyboard alone. Their screenshots are the README's.
/// </summary>
[TestFixture]
public sealed class PagesTests
{
    private static readonly string[] NavLinks = ["Overview", "Jobs", "Dead letters", "Workers", "Cron", "Webhooks", "API keys", "Usage & billing"];

    private IPage _page = null!;

    [TearDown]
    public async Task CloseAsync() => await _page.Context.CloseAsync();

    [Test]
    public async Task Overview_Workers_AndBilling_ShowTheTenantsSystem_Live()
    {
        _page = await BrowserSession.NewPageAsync();
        var (_, apiKey) = await Ui.RegisterAsync(_page);
        await Expect(_page.GetByTestId("count-completed")).ToHaveTextAsync("0");

        // Jobs enqueued behind the page's back: the overview follows without a reload.
        using var client = BrowserSession.System.CreateClient(apiKey);
        var batch = Enumerable.Range(0, 20).Select(i => new { type = "echo", payload = new { i } })
            .Concat(Enumerable.Range(0, 3).Select(_ => new { type = "fail", payload = new { i = 0 } })).ToArray();
        using (var response = await client.PostAsJsonAsync("/api/v1/jobs/batch", batch))
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(201), await response.Content.ReadAsStringAsync());
        }

        await Expect(_page.GetByTestId("count-completed")).ToHaveTextAsync("20", new() { Timeout = 30_000 });
        await Expect(_page.GetByRole(AriaRole.Region, new() { Name = "Live events" }).Locator("li").First).ToBeVisibleAsync();
        await Ui.ScreenshotAsync(_page, "overview");

        await Ui.GoAsync(_page, "Workers");
        await Expect(_page.GetByText("active").First).ToBeVisibleAsync();
        await Ui.ScreenshotAsync(_page, "workers");

        await Ui.GoAsync(_page, "Usage & billing");
        await Expect(_page.GetByText("23", new() { Exact = false }).First).ToBeVisibleAsync(); // this month's jobs
        await Ui.ScreenshotAsync(_page, "billing");

        // No Stripe keys in the test system: the upgrade says so, in the API's words.
        await _page.GetByRole(AriaRole.Button, new() { Name = "Upgrade" }).First.ClickAsync();
        await Expect(_page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not configured", new() { IgnoreCase = true });
    }

    [Test]
    public async Task EveryPage_FitsAPhone_AndTheNavigationWorksByKeyboard()
    {
        _page = await BrowserSession.NewPageAsync(width: 390, height: 844);
        await Ui.RegisterAsync(_page);
        foreach (var link in NavLinks)
        {
            await Ui.GoAsync(_page, link);
            await Expect(_page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToBeVisibleAsync();
            var overflow = await _page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
            Assert.That(overflow, Is.LessThanOrEqualTo(0), $"{link}: the page is {overflow} px wider than the phone");
        }

        await Ui.ScreenshotAsync(_page, "phone-webhooks");

        // Tab from the top of the page to the Jobs link and follow it with Enter.
        await Ui.GoAsync(_page, "Overview");
        for (var i = 0; i < 30 && await _page.EvaluateAsync<string>("() => document.activeElement?.textContent?.trim() ?? ''") != "Jobs"; i++)
        {
            await _page.Keyboard.PressAsync("Tab");
        }

        await _page.Keyboard.PressAsync("Enter");
        await Expect(_page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/jobs$"));
    }
}
