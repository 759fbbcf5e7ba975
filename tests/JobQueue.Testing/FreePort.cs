using JobQueue.Testing.Resources;

namespace JobQueue.Testing;

/// <summary>Free loopback TCP ports for servers a test starts.</summary>
public static class FreePort
{
    /// <summary>A port nothing listens on at 127.0.0.1, never handed out twice in this test process.</summary>
    public static int Get() => LoopbackPort.GetFree();
}
