using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Billing.Service.Tests;

/// <summary>One request the fake Stripe received: its form fields as Stripe.net encoded them (<c>line_items[0][price]</c>).</summary>
public sealed record StripeRequest(string Method, string Path, IReadOnlyDictionary<string, string> Form, string Authorization, string? IdempotencyKey);

/// <summary>
/// The few Stripe API calls Billing.Service makes, answered on 127.0.0.1 with the JSON Stripe returns (trimmed to
/// the fields that matter), and recorded. Customers honour <c>Idempotency-Key</c> like Stripe does. No request ever
/// leaves the machine.
/// </summary>
public sealed class FakeStripe : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, string> _customersByIdempotencyKey = new(StringComparer.Ordinal);
    private int _sequence;

    private FakeStripe(WebApplication app) => _app = app;

    /// <summary>The address to give Billing.Service as <c>STRIPE_API_BASE</c>.</summary>
    public string ApiBase { get; private set; } = "";

    public ConcurrentQueue<StripeRequest> Requests { get; } = new();

    /// <summary>When set, every call answers this Stripe error (status, message) instead.</summary>
    public (HttpStatusCode Status, string Message)? Failure { get; set; }

    public IReadOnlyList<StripeRequest> RequestsTo(string path) => Requests.Where(r => r.Path == path).ToList();

    public static async Task<FakeStripe> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var fake = new FakeStripe(builder.Build());
        fake._app.MapPost("/v1/customers", (Func<HttpContext, Task<IResult>>)fake.CustomerAsync);
        fake._app.MapPost("/v1/checkout/sessions", (Func<HttpContext, Task<IResult>>)fake.CheckoutSessionAsync);
        fake._app.MapPost("/v1/billing_portal/sessions", (Func<HttpContext, Task<IResult>>)fake.PortalSessionAsync);
        fake._app.MapFallback((HttpContext ctx) => Error(HttpStatusCode.NotFound, $"Unrecognized request URL ({ctx.Request.Method}: {ctx.Request.Path})"));
        await fake._app.StartAsync();
        var address = fake._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.ApiBase = address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal);
        return fake;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> CustomerAsync(HttpContext ctx)
    {
        var request = await RecordAsync(ctx);
        if (Failure is { } f)
        {
            return Error(f.Status, f.Message);
        }

        var id = request.IdempotencyKey is { } key
            ? _customersByIdempotencyKey.GetOrAdd(key, _ => NewId("cus"))
            : NewId("cus");
        return Json(new Dictionary<string, object?>
        {
            ["id"] = id, ["object"] = "customer", ["email"] = request.Form.GetValueOrDefault("email"),
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ["livemode"] = false,
            ["metadata"] = Metadata(request.Form),
        });
    }

    private async Task<IResult> CheckoutSessionAsync(HttpContext ctx)
    {
        var request = await RecordAsync(ctx);
        if (Failure is { } f)
        {
            return Error(f.Status, f.Message);
        }

        var id = NewId("cs_test");
        return Json(new Dictionary<string, object?>
        {
            ["id"] = id, ["object"] = "checkout.session", ["mode"] = request.Form.GetValueOrDefault("mode"),
            ["status"] = "open", ["payment_status"] = "unpaid", ["customer"] = request.Form.GetValueOrDefault("customer"),
            ["client_reference_id"] = request.Form.GetValueOrDefault("client_reference_id"),
            ["success_url"] = request.Form.GetValueOrDefault("success_url"), ["cancel_url"] = request.Form.GetValueOrDefault("cancel_url"),
            ["metadata"] = Metadata(request.Form), ["livemode"] = false,
            ["url"] = $"https://checkout.stripe.com/c/pay/{id}",
        });
    }

    private async Task<IResult> PortalSessionAsync(HttpContext ctx)
    {
        var request = await RecordAsync(ctx);
        if (Failure is { } f)
        {
            return Error(f.Status, f.Message);
        }

        var id = NewId("bps");
        return Json(new Dictionary<string, object?>
        {
            ["id"] = id, ["object"] = "billing_portal.session", ["customer"] = request.Form.GetValueOrDefault("customer"),
            ["return_url"] = request.Form.GetValueOrDefault("return_url"), ["livemode"] = false,
            ["url"] = $"https://billing.stripe.com/p/session/test_{id}",
        });
    }

    private async Task<StripeRequest> RecordAsync(HttpContext ctx)
    {
        var form = ctx.Request.HasFormContentType ? await ctx.Request.ReadFormAsync() : null;
        var request = new StripeRequest(ctx.Request.Method, ctx.Request.Path.Value ?? "",
            form?.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal) ?? new Dictionary<string, string>(),
            ctx.Request.Headers.Authorization.ToString(),
            ctx.Request.Headers["Idempotency-Key"].ToString() is { Length: > 0 } k ? k : null);
        Requests.Enqueue(request);
        return request;
    }

    private string NewId(string prefix) => $"{prefix}_{Interlocked.Increment(ref _sequence):D6}{Guid.NewGuid():N}"[..(prefix.Length + 20)];

    private static Dictionary<string, string> Metadata(IReadOnlyDictionary<string, string> form) =>
        form.Where(p => p.Key.StartsWith("metadata[", StringComparison.Ordinal))
            .ToDictionary(p => p.Key["metadata[".Length..^1], p => p.Value, StringComparer.Ordinal);

    private static IResult Json(object body) => Results.Text(JsonSerializer.Serialize(body), "application/json");

    private static IResult Error(HttpStatusCode status, string message) => Results.Text(
        JsonSerializer.Serialize(new { error = new { type = "invalid_request_error", message } }), "application/json", statusCode: (int)status);
}
