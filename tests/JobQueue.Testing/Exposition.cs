using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace JobQueue.Testing;

/// <summary>One sample line of a Prometheus exposition.</summary>
public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string this[string label] => Labels.TryGetValue(label, out var v) ? v : "";
}

/// <summary>
/// A strict reader of the Prometheus text format 0.0.4, for asserting on <c>/metrics</c>: any line that does not
/// parse (a bad name, an unescaped quote, a value that is not a number) fails the test that reads it.
/// </summary>
public sealed partial class Exposition
{
    public Dictionary<string, string> Types { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Help { get; } = new(StringComparer.Ordinal);

    public List<Sample> Samples { get; } = [];

    /// <summary>Families that had a second <c># TYPE</c> line (the format allows one per family).</summary>
    public List<string> DuplicateFamilies { get; } = [];

    public static Exposition Parse(string text)
    {
        var result = new Exposition();
        var lineNumber = 0;
        foreach (var line in text.Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal) || line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', 4);
                Assert.That(parts, Has.Length.EqualTo(4), $"line {lineNumber}: '{line}'");
                Assert.That(NameRegex().IsMatch(parts[2]), Is.True, $"line {lineNumber}: bad metric name in '{line}'");
                if (parts[1] == "TYPE")
                {
                    Assert.That(parts[3], Is.AnyOf("counter", "gauge", "histogram", "summary", "untyped"), $"line {lineNumber}");
                    if (!result.Types.TryAdd(parts[2], parts[3]))
                    {
                        result.DuplicateFamilies.Add(parts[2]);
                    }
                }
                else
                {
                    result.Help[parts[2]] = parts[3];
                }

                continue;
            }

            if (line.StartsWith('#'))
            {
                continue; // a comment
            }

            result.Samples.Add(ParseSample(line, lineNumber));
        }

        return result;
    }

    public IEnumerable<Sample> Of(string name) => Samples.Where(s => s.Name == name);

    /// <summary>The value of the one sample of <paramref name="name"/> whose labels include <paramref name="labels"/>; 0 when there is none.</summary>
    public double Value(string name, params (string Name, string Value)[] labels) =>
        Of(name).Where(s => labels.All(l => s[l.Name] == l.Value)).Select(s => s.Value).DefaultIfEmpty(0).Single();

    private static Sample ParseSample(string line, int lineNumber)
    {
        var where = $"line {lineNumber}: '{line}'";
        var m = NameRegex().Match(line);
        Assert.That(m.Success && m.Index == 0, Is.True, where);
        var name = m.Value;
        var i = name.Length;
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                var label = LabelNameRegex().Match(line, i);
                Assert.That(label.Success && label.Index == i, Is.True, where);
                i += label.Length;
                Assert.That(line.Substring(i, 2), Is.EqualTo("=\""), where);
                i += 2;
                var value = new StringBuilder();
                while (line[i] != '"')
                {
                    if (line[i] == '\\')
                    {
                        i++;
                        value.Append(line[i] switch { 'n' => '\n', '\\' => '\\', '"' => '"', _ => throw new AssertionException($"{where}: bad escape \\{line[i]}") });
                    }
                    else
                    {
                        value.Append(line[i]);
                    }

                    i++;
                }

                i++;
                Assert.That(labels.TryAdd(label.Value, value.ToString()), Is.True, $"{where}: label {label.Value} twice");
                if (line[i] == ',')
                {
                    i++;
                }
            }

            i++;
        }

        Assert.That(line[i], Is.EqualTo(' '), where);
        var rest = line[(i + 1)..].Split(' ');
        Assert.That(rest, Has.Length.InRange(1, 2), where); // value and an optional timestamp
        var number = rest[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var v when double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => throw new AssertionException($"{where}: the value is not a number"),
        };
        return new Sample(name, labels, number);
    }

    [GeneratedRegex("[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex NameRegex();

    [GeneratedRegex("[a-zA-Z_][a-zA-Z0-9_]*")]
    private static partial Regex LabelNameRegex();
}
