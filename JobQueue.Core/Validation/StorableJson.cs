using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;

namespace JobQueue.Core.Validation;

/// <summary>
/// The rule every JSON request body meets before any validator reads it, so that what a service accepts can be
/// stored (Postgres <c>text</c> and <c>jsonb</c>) and read back by any client. Checked once, over the whole document
/// (fields, nested payload keys and values alike):
/// <list type="bullet">
/// <item>a string or key that is not valid Unicode — a lone surrogate escape (<c>"\ud800"</c>) or bytes that are
/// not UTF-8 — is malformed JSON (RFC 8259 §8.1, §8.2) (400); System.Text.Json parses both and fails only when the
/// text is read or re-encoded, and Postgres refuses both;</item>
/// <item>a string or key holding the NUL character (<c>\u0000</c>) is refused (422): Postgres text cannot hold
/// it (SQLSTATE 22021/22P05);</item>
/// <item>a number is refused (422) beyond what a 64-bit float can hold, written out: more than
/// <see cref="MaxIntegerDigits"/> digits before the decimal point or <see cref="MaxFractionDigits"/> after.
/// Postgres numeric goes further (131072 and 16383) but then a 10-byte <c>1e131071</c> is stored as 128 KB, and
/// JavaScript, Python and Go clients read numbers as doubles anyway.</item>
/// </list>
/// </summary>
public static class StorableJson
{
    /// <summary>Digits of the largest double (1.797…e308) before the decimal point.</summary>
    public const int MaxIntegerDigits = 309;

    /// <summary>Digits after the point that write the smallest double (2^-1074) exactly.</summary>
    public const int MaxFractionDigits = 1074;

    /// <summary>Null when <paramref name="root"/> can be stored, else the refusal naming the field by its path (<c>payload.items[2].name</c>).</summary>
    public static RequestError? Check(JsonElement root) => Check(root, "");

    /// <summary>The same, naming the field as <paramref name="field"/> and its path below it.</summary>
    public static RequestError? CheckField(JsonElement value, string field) => Check(value, field);

    /// <summary>
    /// The same rule over UTF-8 text that has not been parsed yet (a handler's result), without building a document:
    /// null when it is one JSON value that can be stored, else why not. Only escaped strings are decoded.
    /// </summary>
    public static string? Refusal(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.IsEmpty)
        {
            return "it is empty";
        }

        var reader = new Utf8JsonReader(utf8Json);
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.String or JsonTokenType.PropertyName when reader.ValueIsEscaped:
                        if (reader.GetString()!.Contains('\0', StringComparison.Ordinal))
                        {
                            return "a string holds the NUL character (\\u0000)";
                        }

                        break;
                    case JsonTokenType.String or JsonTokenType.PropertyName when !Utf8.IsValid(reader.ValueSpan):
                        return "a string is not valid UTF-8";
                    case JsonTokenType.Number when !FitsADouble(reader.ValueSpan):
                        return $"a number is out of range (at most {MaxIntegerDigits} digits before the decimal point and {MaxFractionDigits} after)";
                }
            }

            return null; // the reader throws on a second top-level value: what was read is the whole text
        }
        catch (JsonException)
        {
            return "it is not valid JSON";
        }
        catch (InvalidOperationException)
        {
            return "a string is not valid Unicode (a lone surrogate escape)";
        }
    }

    private static RequestError? Check(JsonElement element, string path)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var prop in element.EnumerateObject())
                {
                    if (CheckText(JsonMarshal.GetRawUtf8PropertyName(prop), prop, default) is { } keyProblem)
                    {
                        return keyProblem == Problem.Nul
                            ? Invalid(path.Length == 0 ? "a field name must not contain the NUL character (\\u0000)" : $"the keys of '{path}' must not contain the NUL character (\\u0000)")
                            : NotUnicode(path.Length == 0 ? "a field name" : $"a key of '{path}'");
                    }

                    var inner = Check(prop.Value, path.Length == 0 ? prop.Name : path + "." + prop.Name);
                    if (inner is not null)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    var inner = Check(item, $"{path}[{i++}]");
                    if (inner is not null)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.String:
                return CheckText(JsonMarshal.GetRawUtf8Value(element), default, element) switch
                {
                    Problem.Nul => Invalid($"'{Name(path)}' must not contain the NUL character (\\u0000)"),
                    Problem.NotUnicode => NotUnicode($"'{Name(path)}'"),
                    _ => null,
                };
            case JsonValueKind.Number:
                return FitsADouble(JsonMarshal.GetRawUtf8Value(element))
                    ? null
                    : Invalid($"'{Name(path)}' is out of range: a number may have at most {MaxIntegerDigits} digits before the decimal point and {MaxFractionDigits} after (what a 64-bit float holds)");
            default:
                return null;
        }
    }

    private enum Problem
    {
        Nul = 1,
        NotUnicode,
    }

    /// <summary>
    /// Judges a string or key from its raw bytes: unescaped text only needs to be UTF-8 (it cannot hold a raw NUL,
    /// the parser refuses control characters); escaped text is decoded, which throws for a lone surrogate.
    /// </summary>
    private static Problem? CheckText(ReadOnlySpan<byte> raw, JsonProperty prop, JsonElement value)
    {
        if (raw.IndexOf((byte)'\\') < 0)
        {
            return Utf8.IsValid(raw) ? null : Problem.NotUnicode;
        }

        try
        {
            var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : prop.Name;
            return text.Contains('\0', StringComparison.Ordinal) ? Problem.Nul : null;
        }
        catch (InvalidOperationException)
        {
            return Problem.NotUnicode;
        }
    }

    /// <summary>True when the number, written out in full, has at most 309 integer and 1074 fraction digits.</summary>
    private static bool FitsADouble(ReadOnlySpan<byte> raw)
    {
        // JSON grammar (the parser has checked it): -? int ( . frac )? ( [eE] [+-]? exp )?
        var s = raw;
        if (s[0] == '-')
        {
            s = s[1..];
        }

        var e = s.IndexOfAny((byte)'e', (byte)'E');
        var mantissa = e < 0 ? s : s[..e];
        var exponent = e < 0 ? 0 : ParseExponent(s[(e + 1)..]);
        var dot = mantissa.IndexOf((byte)'.');
        var integer = dot < 0 ? mantissa : mantissa[..dot];
        var fraction = dot < 0 ? [] : mantissa[(dot + 1)..];

        // Digits after the point once the exponent is applied, trailing zeros included: Postgres keeps them as scale.
        if (fraction.Length - exponent > MaxFractionDigits)
        {
            return false;
        }

        var significantInteger = integer.TrimStart((byte)'0').Length;
        var firstFractionDigit = fraction.IndexOfAnyExcept((byte)'0');
        if (significantInteger == 0 && firstFractionDigit < 0)
        {
            return true; // zero, whatever its exponent
        }

        var integerDigits = significantInteger > 0 ? significantInteger + exponent : exponent - firstFractionDigit;
        return integerDigits <= MaxIntegerDigits;
    }

    /// <summary>The exponent, saturated far beyond any bound so that twenty digits of it cannot overflow.</summary>
    private static long ParseExponent(ReadOnlySpan<byte> s)
    {
        var negative = s[0] == '-';
        if (s[0] is (byte)'-' or (byte)'+')
        {
            s = s[1..];
        }

        s = s.TrimStart((byte)'0');
        var value = s.Length > 9 ? 1_000_000_000L : s.Length == 0 ? 0 : long.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture);
        return negative ? -value : value;
    }

    private static string Name(string path) => path.Length == 0 ? "the body" : path;

    private static RequestError Invalid(string message) => new(RequestErrorKind.Invalid, message);

    private static RequestError NotUnicode(string what) =>
        new(RequestErrorKind.Malformed, $"malformed JSON: {what} is not valid Unicode (a lone surrogate escape or bytes that are not UTF-8)");
}
