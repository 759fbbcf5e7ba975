using System.Net;

namespace JobQueue.Client;

/// <summary>
/// The API refused a request: <see cref="Exception.Message"/> is the API's own error message, with the HTTP status,
/// the request id to quote to an operator, and (on 429 and 503) how long to wait before trying again.
/// </summary>
public sealed class JobQueueException : Exception
{
    public JobQueueException(string message, HttpStatusCode statusCode, string? requestId, TimeSpan? retryAfter)
        : base(message)
    {
        StatusCode = statusCode;
        RequestId = requestId;
        RetryAfter = retryAfter;
    }

    public JobQueueException()
    {
    }

    public JobQueueException(string message)
        : base(message)
    {
    }

    public JobQueueException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public HttpStatusCode StatusCode { get; }

    /// <summary>The <c>meta.request_id</c> of the answer: the server's logs and traces carry it.</summary>
    public string? RequestId { get; }

    /// <summary>The answer's <c>Retry-After</c> (429 and 503).</summary>
    public TimeSpan? RetryAfter { get; }
}
