using System.Text.Json;
using JobQueue.Core.Jobs;
using JobQueue.Core.Validation;

namespace JobQueue.Core.Tests;

public sealed class EnqueueRequestValidatorTests
{
    private static readonly DateTime Now = new(2026, 1, 2, 10, 0, 0, DateTimeKind.Utc);
    private const int DefaultMaxAttempts = 7;

    private static (RequestError? Error, EnqueueSpec? Spec) Validate(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var error = EnqueueRequestValidator.TryValidate(doc.RootElement, Now, DefaultMaxAttempts, out var spec);
        return (error, spec);
    }

    private static RequestError? ValidateBatch(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return EnqueueRequestValidator.TryValidateBatch(doc.RootElement, Now, DefaultMaxAttempts, out _);
    }

    private static void AssertRefused(string json, RequestErrorKind kind, string? messageContains = null)
    {
        var (error, spec) = Validate(json);
        Assert.That(error, Is.Not.Null, json);
        Assert.That(error!.Kind, Is.EqualTo(kind), error.Message);
        Assert.That(spec, Is.Null);
        if (messageContains is not null)
        {
            Assert.That(error.Message, Does.Contain(messageContains));
        }
    }

    [Test]
    public void MinimalRequest_GetsDefaults()
    {
        var (error, spec) = Validate("""{"type":"email.send"}""");
        Assert.That(error, Is.Null);
        Assert.That(spec, Is.Not.Null);
        Assert.That(spec!.Type, Is.EqualTo("email.send"));
        Assert.That(spec.Priority, Is.EqualTo(5));
        Assert.That(spec.MaxAttempts, Is.EqualTo(DefaultMaxAttempts));
        Assert.That(spec.QueueName, Is.EqualTo(QueueNames.Default));
        Assert.That(spec.ScheduledAt, Is.EqualTo(Now));
        Assert.That(spec.Payload, Is.EqualTo("{}"));
        Assert.That(spec.Tags, Is.EqualTo("{}"));
        Assert.That(spec.TtlSeconds, Is.Null);
        Assert.That(spec.TimeoutSeconds, Is.Null);
    }

    [Test]
    public void FullRequest_KeepsEveryField()
    {
        var (error, spec) = Validate("""
            {"type":"t","payload":{"a":1},"priority":9,"max_attempts":3,"queue_name":"critical",
             "scheduled_at":"2026-01-03T00:00:00Z","ttl_seconds":60,"timeout_seconds":30,"tags":{"team":"x"}}
            """);
        Assert.That(error, Is.Null);
        Assert.That(spec!.Priority, Is.EqualTo(9));
        Assert.That(spec.MaxAttempts, Is.EqualTo(3));
        Assert.That(spec.QueueName, Is.EqualTo(QueueNames.Critical));
        Assert.That(spec.ScheduledAt, Is.EqualTo(new DateTime(2026, 1, 3, 0, 0, 0, DateTimeKind.Utc)));
        Assert.That(spec.TtlSeconds, Is.EqualTo(60));
        Assert.That(spec.TimeoutSeconds, Is.EqualTo(30));
        Assert.That(spec.Payload, Is.EqualTo("""{"a":1}"""));
        Assert.That(spec.Tags, Is.EqualTo("""{"team":"x"}"""));
    }

    [Test]
    public void MissingType_IsInvalid_SayingTypeIsRequired()
    {
        var (error, _) = Validate("""{"priority":5}""");
        Assert.That(error, Is.EqualTo(new RequestError(RequestErrorKind.Invalid, "'type' is required")));
    }

    [TestCase("""{"type":""}""")]
    [TestCase("""{"type":"   "}""")]
    public void EmptyType_IsInvalid(string json) => AssertRefused(json, RequestErrorKind.Invalid, "'type' must not be empty");

    [Test]
    public void TypeAsNumber_IsMalformed() => AssertRefused("""{"type":42}""", RequestErrorKind.Malformed, "'type' must be a string");

    [Test]
    public void TypeLongerThanLimit_IsInvalid() =>
        AssertRefused($$"""{"type":"{{new string('x', EnqueueRequestValidator.MaxTypeLength + 1)}}"}""", RequestErrorKind.Invalid);

    [TestCase(0)]
    [TestCase(11)]
    [TestCase(-1)]
    public void PriorityOutOfRange_IsInvalid(int priority) =>
        AssertRefused($$"""{"type":"t","priority":{{priority}}}""", RequestErrorKind.Invalid, "between 1 and 10");

    [TestCase("\"5\"")]
    [TestCase("5.5")]
    [TestCase("true")]
    [TestCase("null")]
    public void PriorityNotAnInteger_IsMalformed(string priority) =>
        AssertRefused($$"""{"type":"t","priority":{{priority}}}""", RequestErrorKind.Malformed, "'priority' must be an integer");

    [Test]
    public void UnknownQueue_IsInvalid() =>
        AssertRefused("""{"type":"t","queue_name":"urgent"}""", RequestErrorKind.Invalid, "unknown queue 'urgent'");

    [TestCase(0)]
    [TestCase(101)]
    public void MaxAttemptsOutOfRange_IsInvalid(int maxAttempts) =>
        AssertRefused($$"""{"type":"t","max_attempts":{{maxAttempts}}}""", RequestErrorKind.Invalid, "'max_attempts'");

    [Test]
    public void NegativeTtl_IsInvalid() =>
        AssertRefused("""{"type":"t","ttl_seconds":-1}""", RequestErrorKind.Invalid, "'ttl_seconds' must not be negative");

    [TestCase(0)]
    [TestCase(86_401)]
    public void TimeoutOutOfRange_IsInvalid(int timeout) =>
        AssertRefused($$"""{"type":"t","timeout_seconds":{{timeout}}}""", RequestErrorKind.Invalid, "'timeout_seconds'");

    [TestCase("tomorrow")]
    [TestCase("2026-01-02 10:00:00")]
    [TestCase("2026-01-02T10:00:00")]
    public void ScheduledAtNotRfc3339_IsInvalid(string scheduledAt) =>
        AssertRefused($$"""{"type":"t","scheduled_at":"{{scheduledAt}}"}""", RequestErrorKind.Invalid, "RFC 3339");

    [Test]
    public void ScheduledAtAsNumber_IsMalformed() =>
        AssertRefused("""{"type":"t","scheduled_at":1767348000}""", RequestErrorKind.Malformed);

    [Test]
    public void ScheduledAtWithNineFractionalDigits_Parses()
    {
        var (error, spec) = Validate("""{"type":"t","scheduled_at":"2026-01-03T10:00:00.123456789Z"}""");
        Assert.That(error, Is.Null);
        Assert.That(spec!.ScheduledAt, Is.EqualTo(new DateTime(2026, 1, 3, 10, 0, 0, DateTimeKind.Utc).AddTicks(1_234_567)));
    }

    [Test]
    public void ScheduledAtWithOffset_IsConvertedToUtc()
    {
        var (error, spec) = Validate("""{"type":"t","scheduled_at":"2026-01-03T12:00:00+02:00"}""");
        Assert.That(error, Is.Null);
        Assert.That(spec!.ScheduledAt, Is.EqualTo(new DateTime(2026, 1, 3, 10, 0, 0, DateTimeKind.Utc)));
        Assert.That(spec.ScheduledAt.Kind, Is.EqualTo(DateTimeKind.Utc));
    }

    [Test]
    public void PastScheduledAt_IsClampedToNow()
    {
        var (error, spec) = Validate("""{"type":"t","scheduled_at":"2020-01-01T00:00:00Z"}""");
        Assert.That(error, Is.Null);
        Assert.That(spec!.ScheduledAt, Is.EqualTo(Now));
    }

    [Test]
    public void UnknownField_IsMalformed() =>
        AssertRefused("""{"type":"t","colour":"blue"}""", RequestErrorKind.Malformed, "unknown field 'colour'");

    [TestCase("[1,2]", "an array")]
    [TestCase("\"text\"", "a string")]
    public void PayloadNotAnObject_IsMalformed(string payload, string described) =>
        AssertRefused($$"""{"type":"t","payload":{{payload}}}""", RequestErrorKind.Malformed, described);

    [Test]
    public void TagWithNonStringValue_IsMalformed() =>
        AssertRefused("""{"type":"t","tags":{"n":1}}""", RequestErrorKind.Malformed, "tag 'n' must be a string");

    [TestCase("""{"a:b":"x"}""")]
    [TestCase("""{"a,b":"x"}""")]
    [TestCase("""{"":"x"}""")]
    public void TagNameWithSeparator_IsInvalid(string tags) =>
        AssertRefused($$"""{"type":"t","tags":{{tags}}}""", RequestErrorKind.Invalid);

    [Test]
    public void RequestNotAnObject_IsMalformed() => AssertRefused("""[{"type":"t"}]""", RequestErrorKind.Malformed);

    [Test]
    public void Batch_OfValidItems_YieldsOneSpecEach()
    {
        using var doc = JsonDocument.Parse("""[{"type":"a"},{"type":"b","priority":2}]""");
        var error = EnqueueRequestValidator.TryValidateBatch(doc.RootElement, Now, DefaultMaxAttempts, out var specs);
        Assert.That(error, Is.Null);
        Assert.That(specs.Select(s => s.Type), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(specs[1].Priority, Is.EqualTo(2));
    }

    [Test]
    public void Batch_Empty_IsInvalid() =>
        Assert.That(ValidateBatch("[]")?.Kind, Is.EqualTo(RequestErrorKind.Invalid));

    [Test]
    public void Batch_Of501Items_IsInvalid()
    {
        var json = "[" + string.Join(',', Enumerable.Repeat("""{"type":"t"}""", JobDefaults.MaxBatch + 1)) + "]";
        var error = ValidateBatch(json);
        Assert.That(error?.Kind, Is.EqualTo(RequestErrorKind.Invalid));
        Assert.That(error!.Message, Does.Contain("501"));
    }

    [Test]
    public void Batch_Of500Items_IsAccepted()
    {
        var json = "[" + string.Join(',', Enumerable.Repeat("""{"type":"t"}""", JobDefaults.MaxBatch)) + "]";
        Assert.That(ValidateBatch(json), Is.Null);
    }

    [Test]
    public void Batch_WithOneBadItem_IsRefused_NamingTheItem()
    {
        var error = ValidateBatch("""[{"type":"ok"},{"type":"t","priority":11}]""");
        Assert.That(error?.Kind, Is.EqualTo(RequestErrorKind.Invalid));
        Assert.That(error!.Message, Does.StartWith("job[1]: "));
    }

    [Test]
    public void Batch_NotAnArray_IsMalformed() =>
        Assert.That(ValidateBatch("""{"type":"t"}""")?.Kind, Is.EqualTo(RequestErrorKind.Malformed));
}
