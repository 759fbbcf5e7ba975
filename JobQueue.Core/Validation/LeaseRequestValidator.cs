using System.Text.Json;
using JobQueue.Core.Jobs;

namespace JobQueue.Core.Validation;

/// <summary>A checked <c>POST /api/v1/workers/lease</c>: who leases, which types and queues, how many, for how long, how long to wait.</summary>
public sealed record LeaseSpec(string WorkerId, string? Host, IReadOnlyList<string> Types, IReadOnlyList<string> Queues, int Max, TimeSpan Lease, TimeSpan Wait);

/// <summary>A checked heartbeat, complete or fail of a remote worker: the lease token and what it reports.</summary>
public sealed record LeaseReport(Guid Token, string? Progress, TimeSpan? Lease, string? Result, string? Error, bool Retryable);

/// <summary>
/// The remote-worker protocol's bodies, read strictly as every other body: an unknown field or a wrong type is 400,
/// a value out of range 422. Built-in types are refused in a lease: the built-in workers run them from Redis, and
/// a remote worker serves types of its own.
/// </summary>
public static class LeaseRequestValidator
{
    public const int MaxTypes = 100;
    public const int MaxJobsPerLease = 100;
    public const int MinLeaseSeconds = 5;
    public const int MaxLeaseSeconds = 3600;
    public const int DefaultLeaseSeconds = 30;
    /// <summary>
    /// A long-poll holds a request (and a gateway connection) open; 20 s stays under the usual 30 s idle timeouts of
    /// proxies in front of the gateway.
    /// </summary>
    public const int MaxWaitSeconds = 20;
    public const int MaxWorkerIdLength = 128;

    private static readonly string[] LeaseFields = ["worker_id", "host", "types", "queues", "max", "lease_seconds", "wait_seconds"];
    private static readonly string[] HeartbeatFields = ["lease_token", "progress", "lease_seconds"];
    private static readonly string[] CompleteFields = ["lease_token", "result"];
    private static readonly string[] FailFields = ["lease_token", "error", "retryable"];

    public static RequestError? TryValidateLease(JsonElement body, out LeaseSpec? spec)
    {
        spec = null;
        var error = Fields(body, LeaseFields);
        if (error is not null)
        {
            return error;
        }

        string? workerId = null, host = null;
        IReadOnlyList<string>? types = null, queues = null;
        int max = 1, leaseSeconds = DefaultLeaseSeconds, waitSeconds = 0;
        foreach (var p in body.EnumerateObject().Where(p => p.Value.ValueKind != JsonValueKind.Null))
        {
            error = p.Name switch
            {
                "worker_id" => String(p, out workerId),
                "host" => String(p, out host),
                "types" => Strings(p, out types),
                "queues" => Strings(p, out queues),
                "max" => Int(p, 1, MaxJobsPerLease, out max),
                "lease_seconds" => Int(p, MinLeaseSeconds, MaxLeaseSeconds, out leaseSeconds),
                _ => Int(p, 0, MaxWaitSeconds, out waitSeconds),
            };
            if (error is not null)
            {
                return error;
            }
        }

        if (string.IsNullOrWhiteSpace(workerId))
        {
            return Invalid("'worker_id' is required: a name for this worker process, e.g. \"mailer-1\"");
        }

        if (workerId.Length > MaxWorkerIdLength || !workerId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '@' or '-'))
        {
            return Invalid($"'worker_id' must be 1 to {MaxWorkerIdLength} characters of letters, digits and . _ : @ -");
        }

        if (types is not { Count: > 0 })
        {
            return Invalid("'types' is required: the job types this worker runs");
        }

        if (types.Count > MaxTypes)
        {
            return Invalid($"'types' may name at most {MaxTypes} types");
        }

        foreach (var type in types)
        {
            if (type.Length is 0 or > EnqueueRequestValidator.MaxTypeLength)
            {
                return Invalid($"a type in 'types' must be 1 to {EnqueueRequestValidator.MaxTypeLength} characters");
            }

            if (BuiltInJobTypes.Contains(type))
            {
                return Invalid($"'{type}' is run by the built-in workers; a remote worker serves job types of its own (not {string.Join(", ", BuiltInJobTypes.All)})");
            }
        }

        queues ??= QueueNames.All;
        if (queues.Count == 0)
        {
            return Invalid($"'queues' must name at least one queue of {string.Join(", ", QueueNames.All)} (or be left out: all of them)");
        }

        if (queues.FirstOrDefault(q => !QueueNames.IsKnown(q)) is { } unknown)
        {
            return Invalid($"unknown queue '{unknown}' in 'queues': use any of {string.Join(", ", QueueNames.All)}");
        }

        spec = new LeaseSpec(workerId, host is { Length: > 0 and <= 200 } ? host : null, [.. types.Distinct(StringComparer.Ordinal)], [.. queues.Distinct(StringComparer.Ordinal)],
            max, TimeSpan.FromSeconds(leaseSeconds), TimeSpan.FromSeconds(waitSeconds));
        return null;
    }

    public static RequestError? TryValidateHeartbeat(JsonElement body, out LeaseReport? report) => TryValidateReport(body, HeartbeatFields, out report);

    public static RequestError? TryValidateComplete(JsonElement body, out LeaseReport? report) => TryValidateReport(body, CompleteFields, out report);

    public static RequestError? TryValidateFail(JsonElement body, out LeaseReport? report)
    {
        var error = TryValidateReport(body, FailFields, out report);
        if (error is null && report!.Error is null)
        {
            report = null;
            return Invalid("'error' is required: what went wrong (it is shown on the job and in the DLQ)");
        }

        return error;
    }

    private static RequestError? TryValidateReport(JsonElement body, string[] allowed, out LeaseReport? report)
    {
        report = null;
        var error = Fields(body, allowed);
        if (error is not null)
        {
            return error;
        }

        Guid? token = null;
        string? progress = null, result = null, failure = null;
        int? leaseSeconds = null;
        var retryable = true;
        foreach (var p in body.EnumerateObject())
        {
            var v = p.Value;
            switch (p.Name)
            {
                case "lease_token":
                    if (v.ValueKind != JsonValueKind.String || !Guid.TryParseExact(v.GetString(), "D", out var t))
                    {
                        return Malformed("'lease_token' must be the lease_token string the lease answered");
                    }

                    token = t;
                    break;
                case "progress" or "result":
                    if (StorableJson.CheckField(v, p.Name) is { } refusal)
                    {
                        return refusal;
                    }

                    if (v.ValueKind != JsonValueKind.Null)
                    {
                        if (p.Name == "progress")
                        {
                            progress = v.GetRawText();
                        }
                        else
                        {
                            result = v.GetRawText();
                        }
                    }

                    break;
                case "lease_seconds":
                    error = Int(p, MinLeaseSeconds, MaxLeaseSeconds, out var s);
                    if (error is not null)
                    {
                        return error;
                    }

                    leaseSeconds = s;
                    break;
                case "error":
                    if (v.ValueKind != JsonValueKind.String || v.GetString() is not { Length: > 0 } message)
                    {
                        return Malformed($"'error' must be a non-empty string, got {EnqueueRequestValidator.Describe(v)}");
                    }

                    failure = message;
                    break;
                default: // retryable
                    if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                    {
                        return Malformed($"'retryable' must be a boolean, got {EnqueueRequestValidator.Describe(v)}");
                    }

                    retryable = v.GetBoolean();
                    break;
            }
        }

        if (token is null)
        {
            return Invalid("'lease_token' is required: the token the lease gave for this job");
        }

        report = new LeaseReport(token.Value, progress, leaseSeconds is { } ls ? TimeSpan.FromSeconds(ls) : null, result, failure, retryable);
        return null;
    }

    private static RequestError? Fields(JsonElement body, string[] allowed)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return Malformed($"expected a JSON object, got {EnqueueRequestValidator.Describe(body.ValueKind)}");
        }

        foreach (var p in body.EnumerateObject())
        {
            if (Array.IndexOf(allowed, p.Name) < 0)
            {
                return Malformed($"unknown field '{p.Name}': expected any of {string.Join(", ", allowed)}");
            }
        }

        return null;
    }

    private static RequestError? String(JsonProperty p, out string? value)
    {
        value = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
        return value is null ? Malformed($"'{p.Name}' must be a string, got {EnqueueRequestValidator.Describe(p.Value)}") : null;
    }

    private static RequestError? Strings(JsonProperty p, out IReadOnlyList<string>? values)
    {
        values = null;
        if (p.Value.ValueKind != JsonValueKind.Array || p.Value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            return Malformed($"'{p.Name}' must be an array of strings, got {EnqueueRequestValidator.Describe(p.Value)}");
        }

        values = [.. p.Value.EnumerateArray().Select(e => e.GetString()!)];
        return null;
    }

    private static RequestError? Int(JsonProperty p, int min, int max, out int value)
    {
        value = 0;
        if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out value))
        {
            return Malformed($"'{p.Name}' must be a whole number, got {EnqueueRequestValidator.Describe(p.Value)}");
        }

        return value < min || value > max ? Invalid($"'{p.Name}' must be from {min} to {max}, got {value}") : null;
    }

    private static RequestError Malformed(string message) => new(RequestErrorKind.Malformed, message);

    private static RequestError Invalid(string message) => new(RequestErrorKind.Invalid, message);
}
