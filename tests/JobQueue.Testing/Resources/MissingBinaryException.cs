namespace JobQueue.Testing.Resources;

/// <summary>A server binary (postgres, redis-server) is not installed; the message names the Debian package.</summary>
public sealed class MissingBinaryException : Exception
{
    public MissingBinaryException()
    {
    }

    public MissingBinaryException(string message)
        : base(message)
    {
    }

    public MissingBinaryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The Debian package to install, e.g. <c>postgresql</c>.</summary>
    public string? Package { get; init; }
}
