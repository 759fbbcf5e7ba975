using System.Runtime.InteropServices;

namespace JobQueue.Testing.Resources;

/// <summary>The <c>dotnet</c> executable to run built DLLs with.</summary>
internal static class DotnetHost
{
    /// <summary>
    /// Under <c>dotnet run</c> this process is the native apphost, not dotnet, so look at what the CLI exported
    /// (DOTNET_HOST_PATH), then at this process, then at the runtime this process uses, then PATH.
    /// </summary>
    public static string Path { get; } = Find();

    private static string Find()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { } hostPath && Posix.FileExists(hostPath))
        {
            return hostPath;
        }

        if (Environment.ProcessPath is { } self && System.IO.Path.GetFileName(self) == "dotnet")
        {
            return self;
        }

        // <root>/shared/Microsoft.NETCore.App/<version>/ → <root>/dotnet
        var fromRuntime = System.IO.Path.GetFullPath(System.IO.Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        return Posix.FileExists(fromRuntime) ? fromRuntime : Posix.Which("dotnet") ?? "dotnet";
    }
}
