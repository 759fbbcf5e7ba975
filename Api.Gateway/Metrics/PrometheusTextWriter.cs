using System.Globalization;
using System.Text;

namespace Api.Gateway.Metrics;

/// <summary>
/// Writes the Prometheus text exposition format 0.0.4: one <c># HELP</c> and <c># TYPE</c> per family, then its
/// samples, with label values and help text escaped as the format requires (<c>\\</c>, <c>\"</c>, <c>\n</c>).
/// </summary>
internal sealed class PrometheusTextWriter(StringBuilder text)
{
    public void Family(string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(Escape(help, quote: false)).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    public void Sample(string name, double value, params ReadOnlySpan<(string Name, string Value)> labels)
    {
        text.Append(name);
        if (labels.Length > 0)
        {
            text.Append('{');
            for (var i = 0; i < labels.Length; i++)
            {
                text.Append(i == 0 ? "" : ",").Append(labels[i].Name).Append("=\"").Append(Escape(labels[i].Value, quote: true)).Append('"');
            }

            text.Append('}');
        }

        text.Append(' ').Append(Number(value)).Append('\n');
    }

    /// <summary>A sample value or an <c>le</c> bound: shortest round-trip form, and the format's names for the infinities.</summary>
    public static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static string Escape(string value, bool quote)
    {
        if (value.AsSpan().IndexOfAny(quote ? "\\\"\n" : "\\\n") < 0)
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            _ = c switch
            {
                '\\' => sb.Append(@"\\"),
                '\n' => sb.Append(@"\n"),
                '"' when quote => sb.Append("\\\""),
                _ => sb.Append(c),
            };
        }

        return sb.ToString();
    }
}
