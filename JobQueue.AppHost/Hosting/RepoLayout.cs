using System.Reflection;

namespace JobQueue.AppHost.Hosting;

/// <summary>Where the repository and the services' built DLLs are, as MSBuild recorded when the AppHost was built.</summary>
internal static class RepoLayout
{
    private static readonly Assembly Self = typeof(RepoLayout).Assembly;

    /// <summary>The repository root: the MSBuild-recorded path, else the first parent holding JobQueue.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The configuration this AppHost was built with; the services were built with the same one.</summary>
    public static string Configuration { get; } =
        Self.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    public static string TargetFramework { get; } = Metadata("JobQueue.TargetFramework") ?? "net10.0";

    /// <summary><c>&lt;repo&gt;/&lt;Project&gt;/bin/&lt;Configuration&gt;/&lt;tfm&gt;/&lt;Project&gt;.dll</c>.</summary>
    public static string ProjectDll(string project) =>
        Path.Combine(Root, project, "bin", Configuration, TargetFramework, project + ".dll");

    public static string ProjectDirectory(string project) => Path.Combine(Root, project);

    private static string? Metadata(string key) =>
        Self.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;

    private static string FindRoot()
    {
        if (Metadata("JobQueue.RepoRoot") is { } recorded && File.Exists(Path.Combine(recorded, "JobQueue.sln")))
        {
            return Path.GetFullPath(recorded);
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "JobQueue.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Cannot find the repository (JobQueue.sln) above {AppContext.BaseDirectory}.");
    }
}
