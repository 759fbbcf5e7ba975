using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace JobQueue.AppHost.Development;

/// <summary>
/// In Development, a demo account to try the dashboard and the API with: registered through the billing service's
/// own <c>POST /auth/register</c> once it is healthy (never by a migration, so no install ships known credentials),
/// or logged into when it already exists. Its password is random and kept in the data folder; its key is printed
/// the one time it is made.
/// </summary>
internal static class DemoAccount
{
    public const string Email = "demo@jobqueue.dev";

    /// <summary>The lines to print with the process table; a failure is reported, never fatal.</summary>
    public static async Task<IReadOnlyList<string>> EnsureAsync(string billingUrl, string dataDirectory, CancellationToken ct)
    {
        var password = DevelopmentSecrets.DemoPassword(dataDirectory);
        using var http = new HttpClient { BaseAddress = new Uri(billingUrl), Timeout = TimeSpan.FromSeconds(10) };
        var credentials = new { email = Email, password };
        try
        {
            using var register = await http.PostAsJsonAsync("/auth/register", credentials, ct);
            if (register.StatusCode == HttpStatusCode.Created)
            {
                var data = (await register.Content.ReadFromJsonAsync<JsonNode>(ct))!["data"]!;
                return
                [
                    $"Demo account created: {Email} / {password}",
                    $"Demo API key (shown this once, keep it): {data["api_key"]!["key"]}",
                ];
            }

            if (register.StatusCode != HttpStatusCode.Conflict)
            {
                return [$"Demo account not created: register answered {(int)register.StatusCode} {await register.Content.ReadAsStringAsync(ct)}"];
            }

            using var login = await http.PostAsJsonAsync("/auth/login", credentials, ct);
            if (login.StatusCode != HttpStatusCode.OK)
            {
                return [$"Demo account {Email} exists, but its password is no longer the one in {Path.Combine(dataDirectory, "demo-password")} (changed by a reset?)"];
            }

            var keys = (await login.Content.ReadFromJsonAsync<JsonNode>(ct))!["data"]!["keys"]!.AsArray();
            var prefixes = string.Join(", ", keys.Where(k => k!["enabled"]!.GetValue<bool>()).Select(k => k!["key_prefix"]!.GetValue<string>() + "…"));
            return
            [
                $"Demo account exists (logged in to check): {Email} / {password}",
                $"Its keys ({(prefixes.Length > 0 ? prefixes : "none enabled")}) were printed when made; log in and POST /api/v1/keys for a new one",
            ];
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or NullReferenceException)
        {
            return [$"Demo account not set up: {e.Message}"];
        }
    }
}
