using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using JobQueue.ServiceDefaults.Http;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Api.Gateway.Extensions;

/// <summary>
/// Gives Kestrel's own rejections the JSON envelope. When a request line or header cannot be parsed (400), the request
/// line is too long (414), the headers are too large (431), they arrive too slowly (408) or the HTTP version is unknown
/// (505), Kestrel answers before any middleware runs, with an empty body, and offers no hook to change that
/// (aspnet/KestrelHttpServer#2947). So the gateway, the only endpoint clients reach, watches what its connections write:
/// a response that is exactly a header block with one of those statuses, <c>Content-Length: 0</c> and
/// <c>Connection: close</c> can only be Kestrel's (every answer of ours carries an envelope body), and is replaced, before
/// it is committed to the socket, by the same status with the envelope. Every other write passes through untouched:
/// the check reads the first bytes Kestrel has already placed in the transport's buffer, it copies nothing.
/// </summary>
internal static class KestrelRejectionEnvelope
{
    public static void Use(ListenOptions listen) =>
        listen.Use(next => connection =>
        {
            connection.Transport = new EnvelopingTransport(connection.Transport);
            return next(connection);
        });

    /// <summary>The envelope response for a Kestrel rejection header block, or null when the block is anything else.</summary>
    public static byte[]? Rewrite(ReadOnlySpan<byte> written)
    {
        // "HTTP/1.1 400 Bad Request\r\n…\r\n\r\n": the smallest has the status line, two headers and the terminator.
        if (written.Length < 64 || !written.StartsWith("HTTP/1."u8) || !written.EndsWith("\r\n\r\n"u8))
        {
            return null;
        }

        var message = Message(written.Slice(9, 3));
        if (message is null
            || written.IndexOf("\r\nContent-Length: 0\r\n"u8) < 0
            || written.IndexOf("\r\nConnection: close\r\n"u8) < 0)
        {
            return null;
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new Envelope<object>(null, message, Guid.NewGuid().ToString("N")), JsonDefaults.Options);
        var lines = Encoding.ASCII.GetString(written[..^4]).Split("\r\n");
        var response = new StringBuilder()
            .Append(lines[0]).Append("\r\n")
            .Append("Content-Type: application/json; charset=utf-8\r\n")
            .Append("Content-Length: ").Append(body.Length).Append("\r\n");
        foreach (var header in lines.Skip(1).Where(h => !h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)))
        {
            response.Append(header).Append("\r\n");
        }

        response.Append("\r\n");
        return [.. Encoding.ASCII.GetBytes(response.ToString()), .. body];
    }

    private static string? Message(ReadOnlySpan<byte> status) => status switch
    {
        _ when status.SequenceEqual("400"u8) => "malformed HTTP request: the request line or a header could not be parsed",
        _ when status.SequenceEqual("408"u8) => "the request headers did not arrive in time",
        _ when status.SequenceEqual("414"u8) => "the request line (method, path and query) is too long",
        _ when status.SequenceEqual("431"u8) => "the request headers are too large",
        _ when status.SequenceEqual("505"u8) => "HTTP version not supported: use HTTP/1.1 or HTTP/2",
        _ => null,
    };

    private sealed class EnvelopingTransport(IDuplexPipe inner) : IDuplexPipe
    {
        public PipeReader Input => inner.Input;

        public PipeWriter Output { get; } = new EnvelopingWriter(inner.Output);
    }

    /// <summary>
    /// Forwards every call to the transport's writer, looking at each advanced block first. A rejection is one block:
    /// Kestrel writes its header block with one commit into a fresh buffer and closes the connection after it. (A block
    /// split over two buffers would pass unchanged, with its empty body, as before.)
    /// </summary>
    private sealed class EnvelopingWriter(PipeWriter inner) : PipeWriter
    {
        private Memory<byte> _handedOut;

        public override Memory<byte> GetMemory(int sizeHint = 0) => _handedOut = inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override void Advance(int bytes)
        {
            var rewritten = bytes <= _handedOut.Length ? Rewrite(_handedOut.Span[..bytes]) : null;
            _handedOut = default;
            if (rewritten is null)
            {
                inner.Advance(bytes);
                return;
            }

            // Nothing was advanced yet, so asking for memory again supersedes the block just written.
            inner.Write(rewritten);
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;
    }
}
