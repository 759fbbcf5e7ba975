using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace JobQueue.ServiceDefaults.Auth;

/// <summary>The authentication module a service adds when it has tenant routes (it needs the storage module too).</summary>
public static class AuthenticationHosting
{
    /// <summary>
    /// Who may call: <see cref="AccountCallerResolver"/> (admin key, account keys, login tokens, static key) behind
    /// <see cref="RequireCallerFilter"/>. Fails at start, naming the problem, when <c>JWT_SECRET</c> is unusable
    /// outside Development.
    /// </summary>
    public static TBuilder AddJobQueueAuthentication<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var jwt = JwtSettings.From(builder.Configuration, builder.Environment);
        builder.Services.AddSingleton(jwt);
        builder.Services.AddSingleton<JwtIssuer>();
        builder.Services.AddSingleton<CredentialCache>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CredentialCache>());
        builder.Services.AddSingleton<ICallerResolver, AccountCallerResolver>();
        builder.Services.AddAuthentication().AddJwtBearer(o =>
        {
            // Keep 'sub' as 'sub' (no mapping to the long WS-* claim names) and never fetch metadata: the key is local.
            o.MapInboundClaims = false;
            o.RequireHttpsMetadata = false;
            o.TokenValidationParameters = jwt.ValidationParameters();
            o.Events = new JwtBearerEvents { OnMessageReceived = QueryCredentials.OnMessageReceived };
        });
        return builder;
    }
}
