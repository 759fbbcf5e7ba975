using StackExchange.Redis;

namespace JobQueue.Storage.Redis;

/// <summary>An embedded Lua script and its name.</summary>
internal sealed record LuaScript(string Name, string Text);

/// <summary>The embedded Lua scripts, loaded once; StackExchange.Redis sends them by SHA after the first call.</summary>
internal static class LuaScripts
{
    public static readonly LuaScript Enqueue = Load("enqueue");
    public static readonly LuaScript Claim = Load("claim");
    public static readonly LuaScript Promote = Load("promote");
    public static readonly LuaScript Unindexed = Load("unindexed");
    public static readonly LuaScript RateLimit = Load("ratelimit");
    public static readonly LuaScript AdmitJobTypes = Load("admit-job-types");

    private static LuaScript Load(string name) =>
        new(name, Migrations.Migrator.Read(typeof(LuaScripts).Assembly, $"Lua.{name}.lua"));

    /// <summary>
    /// Runs a script (reloaded by StackExchange.Redis when the server has forgotten it: a restart or SCRIPT FLUSH).
    /// Its span, like every Redis command's, comes from the StackExchange.Redis instrumentation (AddRedisClient).
    /// </summary>
    public static Task<RedisResult> RunAsync(IDatabase db, LuaScript script, RedisKey[] keys, RedisValue[] args) =>
        db.ScriptEvaluateAsync(script.Text, keys, args);
}
