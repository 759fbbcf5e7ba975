using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace JobQueue.EndToEnd.Tests.Fuzzing;

/// <summary>One request that broke a rule, with what it got back.</summary>
internal sealed record FuzzOffence(string Rule, FuzzCase Case, FuzzAnswer Answer)
{
    public override string ToString()
    {
        var head = Answer.Failure ?? Answer.Body.ReplaceLineEndings(" ");
        return $"  {Case.Class}: {Case} -> {(Answer.Status == 0 ? "no answer" : Answer.Status.ToString(CultureInfo.InvariantCulture))} {(head.Length > 160 ? head[..160] + "…" : head)}";
    }
}

/// <summary>
/// Chooses and sends the fuzz cases (seeded, bounded) and judges the answers: no 5xx, every answer of 400 or more in
/// the error envelope, every hostile request refused.
/// </summary>
internal sealed class FuzzRun(FuzzContext context, int seed, int budget)
{
    /// <summary>
    /// 503 "not configured" where the operator has not configured Stripe: a state of the deployment, not of the
    /// input, and documented in openapi.yaml. Any other 5xx fails.
    /// </summary>
    private static readonly HashSet<string> StripeNotConfigured = ["/portal/checkout", "/portal/customer-portal"];

    private readonly ConcurrentBag<FuzzOffence> _offences = [];

    public int Sent { get; private set; }

    public IReadOnlyCollection<FuzzOffence> Offences => _offences;

    /// <summary>
    /// Up to the budget of cases, the same for the same seed: the catalogue topped up from <paramref name="fill"/> to
    /// the budget, or a seeded sample of it spread over every class, so a small budget still touches each one.
    /// </summary>
    public List<FuzzCase> Choose(IReadOnlyList<FuzzCase> all, IEnumerable<FuzzCase> fill)
    {
        var random = new Random(seed);
        all = [.. all, .. fill.Take(Math.Max(0, budget - all.Count))];
        var byClass = all.GroupBy(c => c.Class).Select(g => new Queue<FuzzCase>(g.OrderBy(_ => random.Next()))).ToList();
        var chosen = new List<FuzzCase>();
        while (chosen.Count < budget && byClass.Any(q => q.Count > 0))
        {
            foreach (var queue in byClass.Where(q => q.Count > 0))
            {
                if (chosen.Count >= budget)
                {
                    break;
                }

                chosen.Add(queue.Dequeue());
            }
        }

        return [.. chosen.OrderBy(_ => random.Next())];
    }

    public async Task SendAsync(IReadOnlyList<FuzzCase> cases, int parallelism, CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (fuzzCase, _) =>
        {
            var answer = await FuzzHttp.SendAsync(context.Port, fuzzCase.Build(context, fuzzCase.Caller), TimeSpan.FromSeconds(15));
            Judge(fuzzCase, answer);
        });
        Sent += cases.Count;
    }

    private void Judge(FuzzCase fuzzCase, FuzzAnswer answer)
    {
        if (answer.Status == 0)
        {
            _offences.Add(new FuzzOffence("no answer", fuzzCase, answer));
            return;
        }

        var path = fuzzCase.Target.Split('?')[0];
        if (answer.Status >= 500 && answer.Status != fuzzCase.Allowed5xx && !(answer.Status == 503 && StripeNotConfigured.Contains(path) && answer.Body.Contains("not configured", StringComparison.OrdinalIgnoreCase)))
        {
            _offences.Add(new FuzzOffence("5xx", fuzzCase, answer));
        }

        if (answer.Status >= 400 && EnvelopeProblem(answer.Body) is { } problem)
        {
            _offences.Add(new FuzzOffence($"not the error envelope ({problem})", fuzzCase, answer));
        }

        if (fuzzCase.Expectation == FuzzExpectation.Rejected && answer.Status < 400)
        {
            _offences.Add(new FuzzOffence("hostile input accepted", fuzzCase, answer));
        }
    }

    /// <summary>What is wrong with an error body, or null for <c>{"data": null, "error": "…", "meta": {"request_id": "…"}}</c>.</summary>
    private static string? EnvelopeProblem(string body)
    {
        if (body.Length == 0)
        {
            return "empty body";
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return "not an object";
            }

            if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Null)
            {
                return "data is not null";
            }

            if (!root.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.String || error.GetString()!.Length == 0)
            {
                return "no error message";
            }

            return root.TryGetProperty("meta", out var meta) && meta.ValueKind == JsonValueKind.Object
                && meta.TryGetProperty("request_id", out var id) && id.ValueKind == JsonValueKind.String && id.GetString()!.Length > 0
                ? null
                : "no meta.request_id";
        }
        catch (JsonException)
        {
            return "not JSON";
        }
    }

    /// <summary>The failure message: every offending request, grouped by rule and class, the first 30 in full.</summary>
    public string Report(string rowsChanged)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Fuzz: {_offences.Count} offences in {Sent} requests (FUZZ_SEED={seed}, FUZZ_REQUESTS={budget}).");
        if (rowsChanged.Length > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Rows created by rejected requests: {rowsChanged}");
        }

        var groups = _offences.GroupBy(o => (o.Rule, o.Case.Class)).OrderByDescending(g => g.Count()).ToList();
        foreach (var group in groups)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"[{group.Key.Rule}] {group.Key.Class}: {group.Count()}");
        }

        var all = Path.Combine(Path.GetTempPath(), $"fuzz-offences-{seed}.txt");
        File.WriteAllLines(all, _offences.Select(o => $"[{o.Rule}]{o}"));
        text.AppendLine(CultureInfo.InvariantCulture, $"All of them: {all}. First 30:");
        foreach (var offence in groups.SelectMany(g => g.Take(3)).Concat(groups.SelectMany(g => g.Skip(3))).Take(30))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"[{offence.Rule}]{offence}");
        }

        return text.ToString();
    }
}
