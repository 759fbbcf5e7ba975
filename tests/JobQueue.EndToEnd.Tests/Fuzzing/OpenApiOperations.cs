using YamlDotNet.RepresentationModel;

namespace JobQueue.EndToEnd.Tests.Fuzzing;

/// <summary>A field of a JSON request body as <c>openapi.yaml</c> declares it (<c>type</c> is the JSON Schema type).</summary>
internal sealed record BodyField(string Name, string Type, bool Required);

/// <summary>
/// The JSON request body of an operation: the fields of an object, or of each item when <see cref="IsArray"/> (the
/// batch enqueue).
/// </summary>
internal sealed record RequestBodyShape(bool IsArray, IReadOnlyList<BodyField> Fields);

/// <summary>One operation (path and method) of <c>openapi.yaml</c>, reduced to what the fuzzer varies.</summary>
internal sealed record OpenApiOperation(
    string Method,
    string Path,
    IReadOnlyList<string> PathParameters,
    IReadOnlyList<string> QueryParameters,
    RequestBodyShape? Body,
    bool IsPublic)
{
    public bool HasPathParameters => PathParameters.Count > 0;

    public override string ToString() => $"{Method} {Path}";
}

/// <summary>
/// Reads the operations of the project's <c>openapi.yaml</c>, so the fuzz test covers every route the API promises
/// and a new route is fuzzed without anyone remembering to add it.
/// </summary>
internal static class OpenApiOperations
{
    private static readonly string[] Methods = ["get", "post", "put", "patch", "delete"];

    /// <summary>The repository's openapi.yaml, found upwards from the test's folder.</summary>
    public static string FindFile()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "openapi.yaml");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"No openapi.yaml above {AppContext.BaseDirectory}.");
    }

    public static IReadOnlyList<OpenApiOperation> Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = File.OpenText(path))
        {
            stream.Load(reader);
        }

        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var schemas = Child(Child(root, "components"), "schemas") as YamlMappingNode;
        var operations = new List<OpenApiOperation>();
        foreach (var (pathKey, pathItem) in ((YamlMappingNode)root["paths"]).Children)
        {
            var route = ((YamlScalarNode)pathKey).Value!;
            var item = (YamlMappingNode)pathItem;
            var shared = Parameters(Child(item, "parameters"));
            foreach (var method in Methods)
            {
                if (Child(item, method) is not YamlMappingNode operation)
                {
                    continue;
                }

                var parameters = shared.Concat(Parameters(Child(operation, "parameters"))).ToList();
                operations.Add(new OpenApiOperation(
                    method.ToUpperInvariant(),
                    route,
                    [.. parameters.Where(p => p.In == "path").Select(p => p.Name)],
                    [.. parameters.Where(p => p.In == "query").Select(p => p.Name)],
                    RequestBody(operation, schemas),
                    Child(operation, "security") is YamlSequenceNode { Children.Count: 0 }));
            }
        }

        return operations;
    }

    private static List<(string Name, string In)> Parameters(YamlNode? node) =>
        node is YamlSequenceNode list
            ? [.. list.Children.OfType<YamlMappingNode>().Select(p => (Scalar(p, "name") ?? "", Scalar(p, "in") ?? ""))]
            : [];

    private static RequestBodyShape? RequestBody(YamlMappingNode operation, YamlMappingNode? schemas)
    {
        if (Child(Child(Child(Child(operation, "requestBody"), "content"), "application/json"), "schema") is not YamlMappingNode schema)
        {
            return null;
        }

        schema = Resolve(schema, schemas);
        if (Scalar(schema, "type") == "array" && Child(schema, "items") is YamlMappingNode items)
        {
            return new RequestBodyShape(true, Fields(Resolve(items, schemas), schemas));
        }

        return new RequestBodyShape(false, Fields(schema, schemas));
    }

    private static List<BodyField> Fields(YamlMappingNode schema, YamlMappingNode? schemas)
    {
        var required = Child(schema, "required") is YamlSequenceNode names
            ? names.Children.OfType<YamlScalarNode>().Select(n => n.Value).ToHashSet()
            : [];
        if (Child(schema, "properties") is not YamlMappingNode properties)
        {
            return [];
        }

        return
        [
            .. properties.Children.Select(p =>
            {
                var name = ((YamlScalarNode)p.Key).Value!;
                var type = p.Value is YamlMappingNode field ? Scalar(Resolve(field, schemas), "type") ?? "string" : "string";
                return new BodyField(name, type, required.Contains(name));
            }),
        ];
    }

    private static YamlMappingNode Resolve(YamlMappingNode schema, YamlMappingNode? schemas) =>
        Scalar(schema, "$ref") is { } reference && schemas is not null
            ? (YamlMappingNode)schemas[reference[(reference.LastIndexOf('/') + 1)..]]
            : schema;

    private static YamlNode? Child(YamlNode? node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static string? Scalar(YamlNode? node, string key) => (Child(node, key) as YamlScalarNode)?.Value;
}
