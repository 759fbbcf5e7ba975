using System.Reflection;

namespace JobQueue.Testing;

/// <summary>Where the repository and the built AppHost are, as MSBuild recorded when this library was built.</summary>
public static class TestPaths
{
    private static readonly Assembly Self = typeof(TestPaths).Assembly;

    public static string RepoRoot { get; } = FindRoot();

    /// <summary>The solution is built in one configuration: the AppHost's is this library's.</summary>
    public static string Configuration { get; } =
        Self.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    public static string TargetFramework { get; } =
        Self.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "JobQueue.TargetFramework")?.Value ?? "net10.0";

    /// <summary>A new folder under the system temp folder, traversable by the postgres user (unlike CreateTempSubdirectory's 0700).</summary>
    public static string NewTempDirectory(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)]);
        Directory.CreateDirectory(
            path,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return path;
    }

    public static void DeleteQuietly(string? directory)
    {
        try
        {
            if (directory is not null && Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string FindRoot()
    {
        var recorded = Self.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "JobQueue.RepoRoot")?.Value;
        if (recorded is not null && File.Exists(Path.Combine(recorded, "JobQueue.sln")))
        {
            return recorded;
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
