using System.Net;
using JobQueue.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="JobQueueClient"/> as a typed client of <c>IHttpClientFactory</c>.</summary>
public static class JobQueueServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="JobQueueClient"/>: options from the configuration section <c>JobQueue</c> (when an
    /// <see cref="IConfiguration"/> is registered, as in every host), then <paramref name="configure"/>; requests
    /// retried by a Polly pipeline (Microsoft.Extensions.Http.Resilience): a 429 whatever the method, after its
    /// Retry-After, and for idempotent methods a 503, a transport error or an attempt's timeout. A POST that failed in
    /// transport is not sent again, since the server may have committed it.
    /// </summary>
    public static IHttpClientBuilder AddJobQueueClient(this IServiceCollection services, Action<JobQueueClientOptions>? configure = null)
    {
        var options = services.AddOptions<JobQueueClientOptions>()
            .Configure<IServiceProvider>((o, provider) => provider.GetService<IConfiguration>()?.GetSection(JobQueueClientOptions.SectionName).Bind(o));
        if (configure is not null)
        {
            options.Configure(configure);
        }

        // The pipeline below bounds each attempt; the HttpClient's own timeout would bound all of them together.
        var client = services.AddHttpClient<JobQueueClient>(http => http.Timeout = Timeout.InfiniteTimeSpan);
        client.AddResilienceHandler("jobqueue", (pipeline, context) =>
        {
            var o = context.ServiceProvider.GetRequiredService<IOptions<JobQueueClientOptions>>().Value;
            if (o.MaxRetries > 0)
            {
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = o.MaxRetries,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = o.RetryBaseDelay,
                    ShouldRetryAfterHeader = true,
                    ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context, o)),
                });
            }

            pipeline.AddTimeout(o.Timeout);
        });
        return client;
    }

    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, ResilienceContext context, JobQueueClientOptions options)
    {
        var request = outcome.Result?.RequestMessage ?? context.GetRequestMessage();
        var idempotent = request is not null && (request.Method == HttpMethod.Get || request.Method == HttpMethod.Head
            || request.Method == HttpMethod.Put || request.Method == HttpMethod.Delete || request.Method == HttpMethod.Options);
        return outcome switch
        {
            { Exception: HttpRequestException or TimeoutRejectedException } => idempotent,
            { Result.StatusCode: HttpStatusCode.TooManyRequests } => (JobQueueClient.RetryAfterOf(outcome.Result) ?? TimeSpan.Zero) <= options.MaxRetryDelay,
            { Result.StatusCode: HttpStatusCode.ServiceUnavailable } => idempotent,
            _ => false,
        };
    }
}
