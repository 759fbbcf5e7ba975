using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Pointer;
using Json.Schema;
using JobQueue.Testing;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace JobQueue.EndToEnd.Tests.Shared;

/// <summary>
/// The repository's <c>openapi.yaml</c> as JSON, its operations, and a validator of an answer's body against the
/// schema the file gives for its path, method and status. The schemas are evaluated as JSON Schema 2020-12 (OpenAPI
/// 3.1's dialect; its own keywords such as <c>example</c> and <c>discriminator</c> are annotations) with <c>format</c>
/// asserted, and every <c>$ref</c> resolves inside the one document, as a client generator resolves it.
/// </summary>
internal sealed class OpenApiContract
{
    public static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    private static readonly Uri BaseUri = new("https://jobqueue.local/openapi.yaml");

    private readonly BuildOptions _build;
    private readonly Dictionary<string, JsonSchema> _schemas = [];

    private OpenApiContract(JsonElement document)
    {
        Document = document;
        var registry = new SchemaRegistry();
        registry.Register(new JsonElementBaseDocument(document, BaseUri));
        // 2020-12 refuses unknown keywords by default; OpenAPI adds a few (example, discriminator, xml, externalDocs).
        var dialect = Dialect.Draft202012.With([], new Uri("https://jobqueue.local/openapi-3.1-dialect"), null, true);
        _build = new BuildOptions { SchemaRegistry = registry, Dialect = dialect };
    }

    public JsonElement Document { get; }

    public static OpenApiContract Load() =>
        new(YamlToJson(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "openapi.yaml"))));

    /// <summary>Every path of the file with the methods it documents (lower case).</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> Operations() =>
        Document.GetProperty("paths").EnumerateObject().ToDictionary(
            p => p.Name,
            p => (IReadOnlySet<string>)p.Value.EnumerateObject().Select(m => m.Name).Where(Methods.Contains).ToHashSet());

    /// <summary>The status codes the file documents for an operation.</summary>
    public IReadOnlyList<string> Statuses(string path, string method) =>
        [.. Operation(path, method).GetProperty("responses").EnumerateObject().Select(r => r.Name)];

    public JsonElement Operation(string path, string method) =>
        Document.GetProperty("paths").GetProperty(path).GetProperty(method);

    /// <summary>
    /// Why <paramref name="body"/> (null for an empty one) is not what the file promises for this answer, or null
    /// when it is: a status the operation does not document, a body where none is documented or none where one is,
    /// a schema violation, or a property that the schema of its object does not list (an undocumented field is as
    /// untrue to the server as a missing one: a generated client cannot see it).
    /// </summary>
    public string? Check(string path, string method, int status, string? contentType, string body)
    {
        var responses = Operation(path, method).GetProperty("responses");
        if (!responses.TryGetProperty(status.ToString(CultureInfo.InvariantCulture), out var response))
        {
            return $"status {status} is not documented (documented: {string.Join(", ", responses.EnumerateObject().Select(r => r.Name))})";
        }

        var responsePointer = $"/paths/{Escape(path)}/{method}/responses/{status}";
        if (response.TryGetProperty("$ref", out var reference))
        {
            responsePointer = reference.GetString()!.TrimStart('#');
            response = Resolve(responsePointer);
        }

        if (!response.TryGetProperty("content", out var content))
        {
            return body.Length == 0 ? null : $"the file documents no body, the server sent {contentType}";
        }

        var mediaType = contentType?.Split(';')[0].Trim();
        if (mediaType is null || !content.TryGetProperty(mediaType, out var media))
        {
            return $"the server sent '{contentType}' with {body.Length} bytes; the file documents {string.Join(", ", content.EnumerateObject().Select(c => c.Name))}";
        }

        if (mediaType != "application/json" || !media.TryGetProperty("schema", out _))
        {
            return null;
        }

        JsonElement instance;
        try
        {
            instance = JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException e)
        {
            return $"the body is not JSON: {e.Message}";
        }

        var schemaPointer = $"{responsePointer}/content/{Escape(mediaType)}/schema";
        var results = SchemaAt(schemaPointer).Evaluate(instance, new EvaluationOptions
        {
            OutputFormat = OutputFormat.List,
            RequireFormatValidation = true,
        });
        if (!results.IsValid)
        {
            var errors = (results.Details ?? [])
                .Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"{(d.InstanceLocation.ToString() is { Length: > 0 } at ? at : "/")}: {e.Key}: {e.Value} (schema {d.SchemaLocation.Fragment})"));
            return "schema violation:\n  " + string.Join("\n  ", errors.Distinct().Take(20));
        }

        var undocumented = UndocumentedProperties(results, instance);
        return undocumented.Count == 0 ? null : "undocumented properties: " + string.Join(", ", undocumented);
    }

    private JsonSchema SchemaAt(string pointer)
    {
        if (!_schemas.TryGetValue(pointer, out var schema))
        {
            schema = JsonSchema.FromText(JsonSerializer.Serialize(new Dictionary<string, string> { ["$ref"] = $"{BaseUri}#{pointer}" }), _build);
            _schemas[pointer] = schema;
        }

        return schema;
    }

    /// <summary>
    /// The instance's properties that no passing schema at their object's location lists: where a schema names its
    /// <c>properties</c> (and allows no <c>additionalProperties</c> or <c>patternProperties</c>), it names them all.
    /// A schema with no <c>properties</c> (a free-form payload or result) leaves its object open.
    /// </summary>
    private List<string> UndocumentedProperties(EvaluationResults results, JsonElement instance)
    {
        var declared = new Dictionary<string, HashSet<string>>();
        var open = new HashSet<string>();
        foreach (var node in results.Details ?? [])
        {
            if (!node.IsValid || node.SchemaLocation.AbsoluteUri.Split('#')[0] != BaseUri.AbsoluteUri)
            {
                continue;
            }

            var location = node.InstanceLocation.ToString();
            var schema = ResolveSchemaLocation(Uri.UnescapeDataString(node.SchemaLocation.Fragment.TrimStart('#')));
            if (schema.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            if (schema.TryGetProperty("properties", out var properties))
            {
                var names = declared.TryGetValue(location, out var known) ? known : declared[location] = [];
                names.UnionWith(properties.EnumerateObject().Select(p => p.Name));
            }

            if (schema.TryGetProperty("patternProperties", out _)
                || (schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind != JsonValueKind.False))
            {
                open.Add(location);
            }
        }

        var undocumented = new List<string>();
        foreach (var (location, names) in declared)
        {
            if (open.Contains(location) || JsonPointer.Parse(location).Evaluate(instance) is not { ValueKind: JsonValueKind.Object } value)
            {
                continue;
            }

            undocumented.AddRange(value.EnumerateObject().Where(p => !names.Contains(p.Name)).Select(p => $"{location}/{p.Name}"));
        }

        return undocumented;
    }

    /// <summary>
    /// The schema a result node's location names. JsonSchema.Net 8.0.5 appends a segment that is not in the document
    /// after <c>items</c> and <c>additionalProperties</c> (<c>…/properties/list/items/list</c> for <c>…/properties/list/items</c>),
    /// also in the middle of a longer location; such a segment, where the document has nothing, is passed over.
    /// </summary>
    private JsonElement ResolveSchemaLocation(string pointer)
    {
        var current = Document;
        var previous = "";
        foreach (var segment in pointer.Split('/').Skip(1).Select(Unescape))
        {
            if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(segment, out var child))
            {
                current = child;
            }
            else if (current.ValueKind == JsonValueKind.Array && int.TryParse(segment, CultureInfo.InvariantCulture, out var index) && index < current.GetArrayLength())
            {
                current = current[index];
            }
            else if (previous is not ("items" or "additionalProperties"))
            {
                throw new InvalidOperationException($"openapi.yaml has nothing at #{pointer}");
            }

            previous = segment;
        }

        return current;
    }

    private JsonElement Resolve(string pointer) =>
        JsonPointer.Parse(pointer).Evaluate(Document) ?? throw new InvalidOperationException($"openapi.yaml has nothing at #{pointer}");

    private static string Unescape(string segment) => segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);

    private static string Escape(string segment) => segment.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    /// <summary>
    /// YAML to JSON with the YAML 1.2 core schema: a plain scalar is null, a boolean or a number when it reads as one,
    /// any quoted scalar a string. Anchors and aliases (<c>&amp;id001</c>, <c>*id001</c>) are expanded.
    /// </summary>
    private static JsonElement YamlToJson(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var node = ToNode(stream.Documents[0].RootNode);
        return JsonDocument.Parse(node!.ToJsonString()).RootElement;
    }

    private static JsonNode? ToNode(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToNode(c.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToNode)]),
        YamlScalarNode { Style: ScalarStyle.Plain } scalar => Plain(scalar.Value ?? ""),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => throw new NotSupportedException(node.GetType().Name),
    };

    private static JsonNode? Plain(string text)
    {
        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            return JsonValue.Create(text.Equals("true", StringComparison.OrdinalIgnoreCase));
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return JsonValue.Create(integer);
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && text.Any(char.IsDigit) && !text.Contains(':', StringComparison.Ordinal))
        {
            return JsonValue.Create(number);
        }

        return JsonValue.Create(text);
    }

    /// <summary>An answer as the test saw it, for failure messages.</summary>
    public static string Describe(string method, string url, int status, string? contentType, string body)
    {
        var text = new StringBuilder().Append(method.ToUpperInvariant()).Append(' ').Append(url).Append(" -> ").Append(status);
        text.Append(" (").Append(contentType ?? "no content type").Append(")\n").Append(body.Length > 4000 ? body[..4000] + "…" : body);
        return text.ToString();
    }
}
