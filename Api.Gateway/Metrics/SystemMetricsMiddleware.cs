using System.Text;

namespace Api.Gateway.Metrics;

/// <summary>
/// Makes the gateway's <c>/metrics</c> one exposition of two parts: the gateway's own OpenTelemetry metrics (HTTP
/// server and client, the proxy; rendered by the OTel Prometheus exporter that every service maps) followed by the
/// system-wide section (<see cref="SystemMetricsExposition"/>).
/// <para>
/// Why text appended to the exporter's output rather than OTel instruments: the system histograms are already
/// aggregated in Redis into fixed buckets, which no OTel instrument can report (an observable histogram does not
/// exist; a <c>Histogram&lt;T&gt;</c> only takes single observations), and observable counters would read Redis and
/// Postgres inside the exporter's collect callback, synchronously and under its lock. Rendering ourselves keeps one
/// read of each source per scrape, in parallel with the exporter. The exporter is asked for the classic text format
/// (the Accept header is replaced), because OpenMetrics ends with <c># EOF</c> and names counters differently; any
/// family of the exporter's that has a system family's name is dropped, so the exposition never holds a family twice.
/// The exporter gzips its answer when asked (Prometheus always asks), and text cannot be appended to gzip bytes: the
/// Accept-Encoding header is removed too, and the whole exposition goes out uncompressed (about 40 KB per scrape).
/// </para>
/// </summary>
internal sealed class SystemMetricsMiddleware(RequestDelegate next, SystemMetricsSource source)
{
    public const string Path = "/metrics";

    public async Task InvokeAsync(HttpContext ctx)
    {
        if (!ctx.Request.Path.Equals(Path, StringComparison.Ordinal) || !(HttpMethods.IsGet(ctx.Request.Method) || HttpMethods.IsHead(ctx.Request.Method)))
        {
            await next(ctx);
            return;
        }

        ctx.Request.Headers.Accept = "text/plain";
        ctx.Request.Headers.AcceptEncoding = default;
        var system = source.ReadAsync(ctx.RequestAborted);
        var body = ctx.Response.Body;
        using var buffer = new MemoryStream();
        ctx.Response.Body = buffer;
        try
        {
            await next(ctx);
        }
        finally
        {
            ctx.Response.Body = body;
        }

        var text = new StringBuilder();
        if (ctx.Response.StatusCode == StatusCodes.Status200OK)
        {
            AppendOwn(text, Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        }

        // Served even when the exporter failed: the system section is the reason to scrape the gateway.
        SystemMetricsExposition.Write(new PrometheusTextWriter(text), await system);
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        ctx.Response.StatusCode = StatusCodes.Status200OK;
        ctx.Response.ContentType = "text/plain; charset=utf-8; version=0.0.4";
        ctx.Response.Headers.ContentEncoding = default;
        ctx.Response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(ctx.Request.Method))
        {
            await body.WriteAsync(bytes, ctx.RequestAborted);
        }
    }

    /// <summary>The exporter's lines, without <c># EOF</c> and without any family the system section owns.</summary>
    private static void AppendOwn(StringBuilder text, string exposition)
    {
        foreach (var line in exposition.Split('\n'))
        {
            if (line.Length == 0 || line == "# EOF" || SystemMetricsExposition.Families.Contains(FamilyOf(line)))
            {
                continue;
            }

            text.Append(line).Append('\n');
        }
    }

    /// <summary>The family a line belongs to: the name after <c># HELP</c>/<c># TYPE</c>, or the sample name without a histogram suffix.</summary>
    private static string FamilyOf(string line)
    {
        if (line.StartsWith('#'))
        {
            var parts = line.Split(' ', 4);
            return parts.Length >= 3 ? parts[2] : "";
        }

        var end = line.AsSpan().IndexOfAny('{', ' ');
        var name = end < 0 ? line : line[..end];
        foreach (var suffix in (ReadOnlySpan<string>)["_bucket", "_sum", "_count"])
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && SystemMetricsExposition.Families.Contains(name[..^suffix.Length]))
            {
                return name[..^suffix.Length];
            }
        }

        return name;
    }
}
