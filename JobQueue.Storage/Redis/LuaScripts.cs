using StackExchange.Redis;

namespace JobQueue.Storage.Redis;

/// <summary>The embedded Lua scripts, loaded once; StackExchange.Redis sends them by SHA after the first call.</summary>
internal static class LuaScripts
{
    public static readonly string Enqueue = Load("enqueue");
    public static readonly string Claim = Load("claim");
    public static readonly string Promote = Load("promote");
    public static readonly string Unindexed = Load("unindexed");
    public static readonly string RateLimit = Load("ratelimit");
    public static readonly string AdmitJobTypes = Load("admit-job-types");

    private static string Load(string name) =>
        Migrations.Migrator.Read(typeof(LuaScripts).Assembly, $"Lua.{name}.lua");

    /// <summary>Runs a script, reloading it when the server has forgotten it (a restart or SCRIPT FLUSH).</summary>
    public static Task<RedisResult> RunAsync(IDatabase db, string script, RedisKey[] keys, RedisValue[] args) =>
        db.ScriptEvaluateAsync(script, keys, args);
}
