using System.Text.Json;
using System.Text.Json.Serialization;

namespace JobQueue.Cli;

/// <summary>What <c>jobq login</c> and <c>jobq config set</c> store: ~/.config/jobq/config.json ($XDG_CONFIG_HOME honoured).</summary>
internal sealed record CliConfig
{
    public string? Url { get; init; }
    public string? ApiKey { get; init; }
    /// <summary>The login token of <c>jobq login</c> (24 h), used when no API key is set.</summary>
    public string? Token { get; init; }

    public static string FilePath
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            var root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config") : xdg;
            return Path.Combine(root, "jobq", "config.json");
        }
    }

    public static CliConfig Load()
    {
        var path = FilePath;
        if (!File.Exists(path))
        {
            return new CliConfig();
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), CliJsonContext.Default.CliConfig) ?? new CliConfig();
        }
        catch (JsonException e)
        {
            throw new UsageException($"{path} is not valid JSON: {e.Message}");
        }
    }

    public void Save()
    {
        var path = FilePath;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // The file holds a key or a login token: readable by its owner only.
        using (var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = OperatingSystem.IsWindows() ? null : UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            JsonSerializer.Serialize(stream, this, CliJsonContext.Default.CliConfig);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = true)]
[JsonSerializable(typeof(CliConfig))]
internal sealed partial class CliJsonContext : JsonSerializerContext;

/// <summary>The command line asked for something it cannot do (exit code 2).</summary>
internal sealed class UsageException(string message) : Exception(message);
