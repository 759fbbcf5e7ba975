namespace Dashboard.Web.Tests;

/// <summary>What a user does in the dashboard, step by step, by the names the page shows (labels, roles, buttons).</summary>
internal static class Ui
{
    public const string Password = "correct horse battery staple";

    /// <summary>Registers a new account from the register page; returns its email and the API key shown once.</summary>
    public static async Task<(string Email, string ApiKey)> RegisterAsync(IPage page, string? email = null)
    {
        email ??= $"ui-{Guid.NewGuid():N}@example.com";
        await page.GotoAsync("/register");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create account" }).ClickAsync();
        var key = page.GetByTestId("new-api-key");
        await Expect(key).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^qly_[0-9a-f]{32}$"));
        var apiKey = await key.TextContentAsync() ?? "";
        await page.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/overview$"));
        return (email, apiKey);
    }

    public static async Task SignInAsync(IPage page, string email)
    {
        await page.GotoAsync("/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/overview$"));
    }

    public static Task GoAsync(IPage page, string link) =>
        page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = link, Exact = true }).ClickAsync();

    /// <summary>Enqueues one job from the Jobs page's dialog; returns its id (the new row's).</summary>
    public static async Task<string> EnqueueAsync(IPage page, string type, string payload = "{}", int maxAttempts = 3)
    {
        await GoAsync(page, "Jobs");
        var before = await JobIdsAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "Enqueue job" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog, new() { Name = "Enqueue job" });
        await dialog.GetByLabel("Type").FillAsync(type);
        await dialog.GetByLabel("Max attempts").FillAsync(maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await dialog.GetByLabel("Payload (JSON)").FillAsync(payload);
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Enqueue" }).ClickAsync();
        await Expect(dialog).ToBeHiddenAsync();

        string? id = null;
        await Polling.WaitUntil(async () => (id = (await JobIdsAsync(page)).Except(before).FirstOrDefault()) is not null,
            TimeSpan.FromSeconds(15), $"a row for the new {type} job appears");
        return id!;
    }

    public static async Task<IReadOnlyList<string>> JobIdsAsync(IPage page) =>
        await page.Locator("tr[data-job-id]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.jobId)");

    public static ILocator JobRow(IPage page, string id) => page.Locator($"tr[data-job-id=\"{id}\"]");

    public static ILocator Button(this ILocator scope, string name) => scope.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    public static ILocator Button(this IPage page, string name) => page.GetByRole(AriaRole.Button, new() { Name = name, Exact = true });

    /// <summary>Saves a full-page screenshot as TestResults/dashboard/<paramref name="name"/>.png (the README's pictures).</summary>
    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserSession.OutputDirectory, name + ".png"), FullPage = true });
}
