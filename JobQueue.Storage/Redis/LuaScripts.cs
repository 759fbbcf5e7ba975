using System.Diagnostics;
using StackExchange.Redis;

namespace JobQueue.Storage.Redis;

/// <summary>An embedded Lua script and the name its spans carry.</summary>
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
    /// Runs a script (reloaded by StackExchange.Redis when the server has forgotten it: a restart or SCRIPT FLUSH),
    /// inside a client span when tracing is on.
    /// </summary>
    public static async Task<RedisResult> RunAsync(IDatabase db, LuaScript script, RedisKey[] keys, RedisValue[] args)
    {
        using var activity = RedisTelemetry.StartCall("EVALSHA", script.Name, keys.Length > 0 ? keys[0] : default);
        try
        {
            return await db.ScriptEvaluateAsync(script.Text, keys, args);
        }
        catch (Exception e) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
    }
}
