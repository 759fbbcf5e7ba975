using Billing.Service.Application;
using JobQueue.Core.Accounts;
using JobQueue.ServiceDefaults.Http;

namespace Billing.Service.Apis;

/// <summary><c>/auth</c>: register, login, forgot and reset password. No credentials needed (the gateway rate-limits these).</summary>
public static class AuthApi
{
    private static readonly string[] Credentials = ["email", "password"];
    private static readonly string[] Email = ["email"];
    private static readonly string[] Reset = ["token", "password"];

    public static RouteGroupBuilder MapAuthApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/auth").WithTags("Auth");
        api.MapPost("/register", RegisterAsync);
        api.MapPost("/login", LoginAsync);
        api.MapPost("/forgot-password", ForgotPasswordAsync);
        api.MapPost("/reset-password", ResetPasswordAsync);
        return api;
    }

    internal static async Task<IResult> RegisterAsync(HttpContext ctx, AccountService accounts)
    {
        var (fields, error) = await BodyReading.ReadStringsAsync(ctx, Credentials, Credentials);
        if (error is not null)
        {
            return error;
        }

        var email = AccountRules.NormalizeEmail(fields!["email"]);
        if ((AccountRules.EmailError(email) ?? AccountRules.PasswordError(fields["password"])) is { } invalid)
        {
            return ApiResults.Unprocessable(ctx, invalid);
        }

        var created = await accounts.RegisterAsync(email, fields["password"], ctx.RequestAborted);
        return created is null
            ? ApiResults.Conflict(ctx, "an account with this email already exists")
            : ApiResults.Created(ctx, created);
    }

    internal static async Task<IResult> LoginAsync(HttpContext ctx, AccountService accounts)
    {
        var (fields, error) = await BodyReading.ReadStringsAsync(ctx, Credentials, Credentials);
        if (error is not null)
        {
            return error;
        }

        var login = await accounts.LoginAsync(AccountRules.NormalizeEmail(fields!["email"]), fields["password"], ctx.RequestAborted);
        if (login is null)
        {
            // One message for an unknown email and a wrong password: the answer must not tell which accounts exist.
            ctx.Response.Headers.WWWAuthenticate = "Bearer";
            return ApiResults.Error(ctx, StatusCodes.Status401Unauthorized, "invalid email or password");
        }

        return ApiResults.Ok(ctx, login);
    }

    internal static async Task<IResult> ForgotPasswordAsync(HttpContext ctx, AccountService accounts)
    {
        var (fields, error) = await BodyReading.ReadStringsAsync(ctx, Email, Email);
        if (error is not null)
        {
            return error;
        }

        var email = AccountRules.NormalizeEmail(fields!["email"]);
        if (AccountRules.EmailError(email) is { } invalid)
        {
            return ApiResults.Unprocessable(ctx, invalid);
        }

        await accounts.ForgotPasswordAsync(email, ctx.RequestAborted);
        return ApiResults.Ok(ctx, new MessageResponse("If an account exists for this email, a password reset link has been sent. It works once, within one hour."));
    }

    internal static async Task<IResult> ResetPasswordAsync(HttpContext ctx, AccountService accounts)
    {
        var (fields, error) = await BodyReading.ReadStringsAsync(ctx, Reset, Reset);
        if (error is not null)
        {
            return error;
        }

        if (AccountRules.PasswordError(fields!["password"]) is { } invalid)
        {
            return ApiResults.Unprocessable(ctx, invalid);
        }

        return await accounts.ResetPasswordAsync(fields["token"], fields["password"], ctx.RequestAborted)
            ? ApiResults.Ok(ctx, new MessageResponse("Password changed. Log in again: earlier login tokens no longer work."))
            : ApiResults.BadRequest(ctx, "invalid, expired or already used reset token");
    }
}
