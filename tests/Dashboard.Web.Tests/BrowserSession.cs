using System.Net.Http.Json;
using System.Text.Json;

namespace Dashboard.Web.Tests;

/// <summary>
/// The whole system started by the AppHost once for the assembly, and one headless Debian Chromium driven by
/// Playwright (its own browser download does not work here). Each test gets a fresh browser context, so no sign-in,
/// storage or cookie leaks from one test to the next, and opens the dashboard through the gateway as a user does.
/// </summary>
[SetUpFixture]
public sealed class BrowserSession
{
    public const string AdminKey = "dashboard-test-admin-key-0123456789";

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    ];

    private static SystemUnderTest? _system;
    private static IPlaywright? _playwright;
    private static IBrowser? _browser;

    public static SystemUnderTest System => _system ?? throw new InvalidOperationException("The system has not started.");

    public static IBrowser Browser => _browser ?? throw new InvalidOperationException("The browser has not started.");

    /// <summary>Where the tests leave screenshots and the scale figures: TestResults/dashboard.</summary>
    public static string OutputDirectory { get; } = Path.Combine(TestPaths.RepoRoot, "TestResults", "dashboard");

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        Directory.CreateDirectory(OutputDirectory);
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";
        Assert.That(File.Exists(chromium), Is.True, $"{chromium} is missing: apt-get install -y chromium");

        _system = await SystemUnderTest.StartAsync(new SystemUnderTestOptions
        {
            Workers = 2,
            Environment = new Dictionary<string, string>
            {
                ["ADMIN_KEY"] = AdminKey,
                ["RETRY_BASE_DELAY"] = "200ms",
                ["RETRY_MAX_DELAY"] = "1s",
                ["WEBHOOK_RETRY_BASE_DELAY"] = "200ms",
                ["WEBHOOK_RETRY_MAX_DELAY"] = "1s",
            },
        });
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_system is not null)
        {
            await _system.DisposeAsync();
        }
    }

    /// <summary>A new page in a context of its own, at the gateway, <paramref name="width"/> px wide.</summary>
    public static async Task<IPage> NewPageAsync(int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = System.GatewayUrl,
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        // What the page itself reports goes to the test's output: a failing step then shows the script error behind it.
        page.PageError += (_, error) => TestContext.Out.WriteLine($"page error: {error}");
        page.Console += (_, message) =>
        {
            if (message.Type is "error" or "warning")
            {
                TestContext.Out.WriteLine($"console {message.Type}: {message.Text}");
            }
        };
        return page;
    }

    /// <summary>Registers an account through the API (for the second tenant of isolation tests); returns its login token.</summary>
    public static async Task<(string Email, string Password, string Token, string ApiKey)> RegisterThroughApiAsync()
    {
        var email = $"api-{Guid.NewGuid():N}@example.com";
        const string password = "correct horse battery staple";
        using var client = System.CreateClient(apiKey: null);
        using var response = await client.PostAsJsonAsync("/auth/register", new { email, password });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That((int)response.StatusCode, Is.EqualTo(201), body.ToString());
        var data = body.GetProperty("data");
        return (email, password, data.GetProperty("token").GetString()!, data.GetProperty("api_key").GetProperty("key").GetString()!);
    }
}
