using System.Text;
using Billing.Service.Application;
using JobQueue.ServiceDefaults.Http;
using Stripe;

namespace Billing.Service.Apis;

/// <summary>
/// <c>POST /webhooks/stripe</c>: Stripe's events, authenticated by the <c>Stripe-Signature</c> header (an HMAC of the
/// raw body and a timestamp with <c>STRIPE_WEBHOOK_SECRET</c>), never by a key. A bad or missing signature, or a
/// timestamp older than five minutes, is 400 and changes nothing. Every verified event answers 200, also one already
/// applied (Stripe stops redelivering only after a 2xx) and one of a type this service does not act on.
/// </summary>
public static class StripeWebhookApi
{
    // Stripe's events are a few kilobytes; this bounds what an unauthenticated caller can make us buffer.
    private const int MaxBodyBytes = 1024 * 1024;

    public static IEndpointRouteBuilder MapStripeWebhookApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/webhooks/stripe", ReceiveAsync).WithTags("Billing");
        return app;
    }

    internal static async Task<IResult> ReceiveAsync(HttpContext ctx, StripeBilling billing, StripeSettings settings, TimeProvider time)
    {
        if (settings.WebhookSecret is not { } secret)
        {
            return ApiResults.Error(ctx, StatusCodes.Status503ServiceUnavailable,
                "billing webhooks are not configured: set STRIPE_WEBHOOK_SECRET to the endpoint's signing secret (whsec_…)");
        }

        if (ctx.Request.Headers["Stripe-Signature"].ToString() is not { Length: > 0 } signature)
        {
            return ApiResults.BadRequest(ctx, "missing Stripe-Signature header");
        }

        var body = await ReadRawBodyAsync(ctx);
        if (body is null)
        {
            return ApiResults.Error(ctx, StatusCodes.Status413PayloadTooLarge, $"the event is larger than {MaxBodyBytes} bytes");
        }

        try
        {
            // The signature is over the exact bytes Stripe sent, so the body is verified as read, never re-serialised.
            EventUtility.ValidateSignature(body, signature, secret, (long)StripeSettings.WebhookTolerance.TotalSeconds, time.GetUtcNow().ToUnixTimeSeconds());
        }
        catch (StripeException e)
        {
            return ApiResults.BadRequest(ctx, $"invalid Stripe webhook: {e.Message}");
        }

        // Stripe.net's parser fails on a body that is valid JSON but no object ([], "x", 1, null) with exceptions
        // that are not JSON errors (a 500): it is the sender's mistake, answered 400 like any body that is no event.
        if (JsonKindOf(body) is { } kind && kind != System.Text.Json.JsonValueKind.Object)
        {
            return ApiResults.BadRequest(ctx, $"invalid Stripe event JSON: expected an object, got {kind.ToString().ToLowerInvariant()}");
        }

        Event stripeEvent;
        try
        {
            // The API version check is off: events carry the version of the Stripe account's webhook endpoint, which
            // need not be the one this Stripe.net release was built for, and the fields read here exist in all of them.
            stripeEvent = EventUtility.ParseEvent(body, throwOnApiVersionMismatch: false);
        }
        catch (Exception e) when (e is Newtonsoft.Json.JsonException or System.Text.Json.JsonException)
        {
            return ApiResults.BadRequest(ctx, $"invalid Stripe event JSON: {e.Message}");
        }

        if (string.IsNullOrEmpty(stripeEvent.Id) || string.IsNullOrEmpty(stripeEvent.Type))
        {
            return ApiResults.BadRequest(ctx, "not a Stripe event: 'id' and 'type' are required");
        }

        var handling = await billing.ApplyEventAsync(stripeEvent, ctx.RequestAborted);
        return ApiResults.Ok(ctx, new StripeWebhookResponse(stripeEvent.Id, stripeEvent.Type, handling.ToString().ToLowerInvariant()));
    }

    /// <summary>The kind of the body's JSON value; null when it is not JSON (the parser then says why).</summary>
    private static System.Text.Json.JsonValueKind? JsonKindOf(string body)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            return doc.RootElement.ValueKind;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static async Task<string?> ReadRawBodyAsync(HttpContext ctx)
    {
        if (ctx.Request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await ctx.Request.Body.ReadAsync(chunk, ctx.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
