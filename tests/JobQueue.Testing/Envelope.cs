using System.Text.Json.Nodes;
using NUnit.Framework;

namespace JobQueue.Testing;

/// <summary>Reading answers: every answer with a body is the envelope <c>{data, error, meta.request_id}</c>.</summary>
public static class Envelope
{
    /// <summary>The whole envelope of <paramref name="response"/>, asserting its shape.</summary>
    public static async Task<JsonNode> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new AssertionException($"{(int)response.StatusCode}: the body is not JSON ({e.Message}): {text}");
        }

        Assert.That(node, Is.InstanceOf<JsonObject>(), text);
        var obj = node!.AsObject();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(obj.ContainsKey("data"), Is.True, $"no 'data' in {text}");
            Assert.That(obj.ContainsKey("error"), Is.True, $"no 'error' in {text}");
            Assert.That(obj["meta"]?["request_id"]?.GetValue<string>(), Is.Not.Null.And.Not.Empty, $"no meta.request_id in {text}");
        }

        return obj;
    }

    /// <summary>The envelope's error message (null on success).</summary>
    public static string? Error(JsonNode body) => body["error"]?.GetValue<string>();
}
