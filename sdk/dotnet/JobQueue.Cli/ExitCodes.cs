namespace JobQueue.Cli;

/// <summary>jobq's exit codes (listed in <c>jobq --help</c> and the README).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The API refused the request (its message on stderr), or it could not be reached.</summary>
    public const int ApiError = 1;
    /// <summary>The command line is wrong: an unknown option, a missing argument, a bad value.</summary>
    public const int Usage = 2;
    /// <summary>The API answered 404: no such job, schedule, webhook or key for this tenant.</summary>
    public const int NotFound = 3;
    /// <summary>The API answered 401 or 403: no credentials, a wrong or revoked key, an expired login.</summary>
    public const int Auth = 4;

    public const string Help = """
        Exit codes:
          0  ok
          1  API error (the API's message on stderr), or the API could not be reached
          2  usage error (unknown option, missing argument, bad value)
          3  not found (404)
          4  authentication error (401/403: missing, wrong or revoked key, expired login)
        """;
}
