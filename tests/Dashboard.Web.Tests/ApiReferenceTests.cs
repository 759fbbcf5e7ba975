using System.Net;

namespace Dashboard.Web.Tests;

/// <summary>
/// The API reference at <c>/docs</c> through the gateway, in the real Chromium: Scalar renders openapi.yaml (served at
/// <c>/openapi.yaml</c>), a reader finds an operation and its answer, and the page asks nothing of another address.
/// Its screenshot is the README's.
/// </summary>
[TestFixture]
public sealed class ApiReferenceTests
{
    [Test]
    public async Task Docs_RendersTheOpenApiFile_WithEveryOperation_AndLoadsNothingFromElsewhere()
    {
        using var http = BrowserSession.System.CreateClient(null);
        using var document = await http.GetAsync("/openapi.yaml");
        var yaml = await document.Content.ReadAsStringAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(document.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(document.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/yaml"));
            Assert.That(yaml, Does.Contain("\nopenapi: 3.1"));
            Assert.That(yaml, Is.EqualTo(await File.ReadAllTextAsync(Path.Combine(TestPaths.RepoRoot, "openapi.yaml"))), "the repository's file, as built");
        }

        var page = await BrowserSession.NewPageAsync(width: 1440, height: 1000);
        try
        {
            var elsewhere = new List<string>();
            page.Request += (_, request) =>
            {
                if (!request.Url.StartsWith(BrowserSession.System.GatewayUrl, StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal))
                {
                    elsewhere.Add(request.Url);
                }
            };
            var response = await page.GotoAsync("/docs");
            Assert.That(response?.Status, Is.EqualTo(200));
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "JobQueue API" }).First).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await Expect(page.GetByText("Enqueue a job").First).ToBeVisibleAsync();
            // The first screen only: the whole reference is some 30,000 px tall.
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserSession.OutputDirectory, "api-reference.png") });
            Assert.That(elsewhere, Is.Empty, "the reference loads only from the gateway");
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
