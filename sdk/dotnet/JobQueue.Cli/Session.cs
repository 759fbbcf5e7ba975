using System.CommandLine;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using JobQueue.Client;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace JobQueue.Cli;

/// <summary>The options every command takes (they may be given after any subcommand).</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> Url = new("--url")
    {
        Description = "The gateway (else $JOBQUEUE_URL, else the config file, else http://localhost:8080)",
        Recursive = true,
    };

    public static readonly Option<string?> ApiKey = new("--api-key")
    {
        Description = "API key (else $JOBQUEUE_API_KEY, else the config file's key or login token)",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the API's data as JSON (for scripts)",
        Recursive = true,
    };
}

/// <summary>
/// One command's run: the settings resolved (flag, then environment, then config file), a client over them, and the
/// output. Maps what went wrong to the documented exit codes.
/// </summary>
internal sealed class Session : IDisposable
{
    private readonly ServiceProvider _services;

    private Session(ParseResult parse)
    {
        var config = CliConfig.Load();
        Url = parse.GetValue(GlobalOptions.Url) ?? Environment.GetEnvironmentVariable("JOBQUEUE_URL") ?? config.Url ?? "http://localhost:8080";
        var apiKey = parse.GetValue(GlobalOptions.ApiKey) ?? Environment.GetEnvironmentVariable("JOBQUEUE_API_KEY") ?? config.ApiKey;
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var baseAddress) || (baseAddress.Scheme != Uri.UriSchemeHttp && baseAddress.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"--url '{Url}' is not an http(s) URL");
        }

        Json = parse.GetValue(GlobalOptions.Json);
        _services = new ServiceCollection()
            .AddJobQueueClient(o =>
            {
                o.BaseAddress = baseAddress;
                o.ApiKey = apiKey;
                o.Token = string.IsNullOrEmpty(apiKey) ? config.Token : null;
            }).Services
            .BuildServiceProvider();
        Client = _services.GetRequiredService<JobQueueClient>();
    }

    public string Url { get; }

    public bool Json { get; }

    public JobQueueClient Client { get; }

    /// <summary>Runs <paramref name="run"/> for the command; its exit code as README documents it.</summary>
    public static void Bind(Command command, Func<Session, ParseResult, CancellationToken, Task> run) =>
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                using var session = new Session(parse);
                await run(session, parse, cancellationToken);
                return ExitCodes.Ok;
            }
            catch (UsageException e)
            {
                await Console.Error.WriteLineAsync($"jobq: {e.Message}");
                return ExitCodes.Usage;
            }
            catch (JobQueueException e)
            {
                await Console.Error.WriteLineAsync($"jobq: {e.Message} ({(int)e.StatusCode}{(e.RequestId is null ? "" : $", request {e.RequestId}")})");
                return e.StatusCode switch
                {
                    HttpStatusCode.NotFound => ExitCodes.NotFound,
                    HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ExitCodes.Auth,
                    _ => ExitCodes.ApiError,
                };
            }
            catch (HttpRequestException e)
            {
                await Console.Error.WriteLineAsync($"jobq: cannot reach {parse.GetValue(GlobalOptions.Url) ?? "the API"}: {e.Message}");
                return ExitCodes.ApiError;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Ok;
            }
        });

    /// <summary>Prints <paramref name="value"/> as indented JSON, in the API's field names.</summary>
    public static void PrintJson<T>(T value, JsonTypeInfo<T> type) => PrintJson(JsonSerializer.SerializeToNode(value, type)!);

    public static void PrintJson(JsonNode node)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            node.WriteTo(writer);
        }

        stdout.WriteByte((byte)'\n');
    }

    /// <summary>A table of plain text cells (nothing in them is read as Spectre markup).</summary>
    public static Table Table(string[] headers, IEnumerable<string?[]> rows)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(new Text(header, new Style(decoration: Decoration.Bold))).NoWrap());
        }

        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => (IRenderable)new Text(cell ?? "")).ToArray());
        }

        return table;
    }

    public void Dispose() => _services.Dispose();
}
