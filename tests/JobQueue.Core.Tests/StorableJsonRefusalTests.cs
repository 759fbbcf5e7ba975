using System.Text;
using JobQueue.Core.Validation;

namespace JobQueue.Core.Tests;

/// <summary>The storable-JSON rule over unparsed UTF-8, as the worker applies it to a handler's result.</summary>
public sealed class StorableJsonRefusalTests
{
    [TestCase("""{"a":1,"b":[true,null,"x"]}""")]
    [TestCase("\"text\"")]
    [TestCase("1.7976931348623157e308")]
    [TestCase("""{"k\u00e9":"caf\u00e9"}""")]
    public void StorableJson_IsAccepted(string json) =>
        Assert.That(StorableJson.Refusal(Encoding.UTF8.GetBytes(json)), Is.Null);

    [TestCase("""{"a":"x\u0000y"}""", "NUL")]
    [TestCase("""{"x\u0000":1}""", "NUL")]
    [TestCase("""["\ud800"]""", "lone surrogate")]
    [TestCase("""{"n":1e999999}""", "out of range")]
    [TestCase("""{"a":""", "not valid JSON")]
    [TestCase("""1 2""", "not valid JSON")]
    [TestCase("", "empty")]
    public void UnstorableJson_IsRefused_WithTheReason(string json, string reason) =>
        Assert.That(StorableJson.Refusal(Encoding.UTF8.GetBytes(json)), Does.Contain(reason));
}
