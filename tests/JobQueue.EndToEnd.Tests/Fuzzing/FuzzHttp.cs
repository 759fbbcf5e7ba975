using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace JobQueue.EndToEnd.Tests.Fuzzing;

/// <summary>What came back for one fuzz request: a status and body, or why nothing did.</summary>
internal sealed record FuzzAnswer(int Status, string Body, string? Failure)
{
    public static FuzzAnswer Lost(string why) => new(0, string.Empty, why);
}

/// <summary>
/// Sends HTTP/1.1 requests as raw bytes over a socket. HttpClient refuses to send what the fuzzer must send
/// (non-ASCII header bytes, bad request lines, HTTP/9.9), so every fuzz request goes this one way, one connection
/// each with <c>Connection: close</c>.
/// </summary>
internal static class FuzzHttp
{
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();

    /// <summary>Builds a well-formed request whose parts may hold any bytes.</summary>
    public static byte[] Request(string method, byte[] target, string host, IEnumerable<(string Name, byte[] Value)> headers, byte[]? body)
    {
        var bytes = new List<byte>(256 + (body?.Length ?? 0));
        bytes.AddRange(Encoding.ASCII.GetBytes(method + " "));
        bytes.AddRange(target);
        bytes.AddRange(Encoding.ASCII.GetBytes($" HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"));
        foreach (var (name, value) in headers)
        {
            bytes.AddRange(Encoding.ASCII.GetBytes(name + ": "));
            bytes.AddRange(value);
            bytes.AddRange("\r\n"u8.ToArray());
        }

        if (body is not null)
        {
            bytes.AddRange(Encoding.ASCII.GetBytes($"Content-Length: {body.Length.ToString(CultureInfo.InvariantCulture)}\r\n"));
        }

        bytes.AddRange("\r\n"u8.ToArray());
        if (body is not null)
        {
            bytes.AddRange(body);
        }

        return [.. bytes];
    }

    /// <summary>
    /// Sends <paramref name="request"/> and reads the answer. A server may answer (413, 431) and close before it has
    /// read everything: a failed send is then not the end, the answer already on the wire is still read.
    /// </summary>
    public static async Task<FuzzAnswer> SendAsync(int port, byte[] request, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port), cts.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return FuzzAnswer.Lost($"connect: {e.Message}");
        }

        string? sendError = null;
        try
        {
            await socket.SendAsync(request, SocketFlags.None, cts.Token);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            sendError = e.Message;
        }

        var received = new List<byte>();
        var buffer = new byte[16 * 1024];
        try
        {
            while (!IsComplete(received))
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    break;
                }

                received.AddRange(buffer.AsSpan(0, n));
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            if (received.Count == 0)
            {
                return FuzzAnswer.Lost($"receive: {e.Message}{(sendError is null ? "" : $" (send: {sendError})")}");
            }
        }

        return Parse([.. received]) ?? FuzzAnswer.Lost(received.Count == 0
            ? $"the connection closed without an answer{(sendError is null ? "" : $" (send: {sendError})")}"
            : $"not HTTP: {Encoding.UTF8.GetString([.. received.Take(200)])}");
    }

    /// <summary>True once the head and the whole body (by Content-Length or the last chunk) have arrived.</summary>
    private static bool IsComplete(List<byte> received)
    {
        var data = received.ToArray().AsSpan();
        var headEnd = data.IndexOf(HeaderEnd);
        if (headEnd < 0)
        {
            return false;
        }

        var head = Encoding.Latin1.GetString(data[..headEnd]);
        var body = data[(headEnd + 4)..];
        if (Header(head, "Content-Length") is { } length && int.TryParse(length, CultureInfo.InvariantCulture, out var n))
        {
            return body.Length >= n;
        }

        return Header(head, "Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true
            && body.IndexOf("0\r\n\r\n"u8) >= 0
            && Dechunk(body.ToArray()) is not null;
    }

    private static FuzzAnswer? Parse(byte[] data)
    {
        var headEnd = data.AsSpan().IndexOf(HeaderEnd);
        if (headEnd < 0)
        {
            return null;
        }

        var head = Encoding.Latin1.GetString(data, 0, headEnd);
        var statusLine = head.Split("\r\n")[0].Split(' ');
        if (statusLine.Length < 2 || !statusLine[0].StartsWith("HTTP/", StringComparison.Ordinal)
            || !int.TryParse(statusLine[1], CultureInfo.InvariantCulture, out var status))
        {
            return null;
        }

        var body = data[(headEnd + 4)..];
        if (Header(head, "Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true)
        {
            body = Dechunk(body) ?? body;
        }
        else if (Header(head, "Content-Length") is { } length && int.TryParse(length, CultureInfo.InvariantCulture, out var n) && n < body.Length)
        {
            body = body[..n];
        }

        return new FuzzAnswer(status, Encoding.UTF8.GetString(body), null);
    }

    private static string? Header(string head, string name) =>
        head.Split("\r\n").Skip(1)
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2 && parts[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            .Select(parts => parts[1].Trim())
            .FirstOrDefault();

    /// <summary>The body of a chunked transfer, or null while it is incomplete.</summary>
    private static byte[]? Dechunk(byte[] chunked)
    {
        var output = new List<byte>();
        var at = 0;
        while (true)
        {
            var lineEnd = chunked.AsSpan(at).IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                return null;
            }

            var sizeText = Encoding.ASCII.GetString(chunked, at, lineEnd).Split(';')[0];
            if (!int.TryParse(sizeText, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var size))
            {
                return null;
            }

            at += lineEnd + 2;
            if (size == 0)
            {
                return [.. output];
            }

            if (at + size + 2 > chunked.Length)
            {
                return null;
            }

            output.AddRange(chunked.AsSpan(at, size));
            at += size + 2;
        }
    }
}
