namespace JobQueue.AppHost.Hosting;

/// <summary>
/// The AppHost's console: every process's lines prefixed with its name (colored on a terminal), the AppHost's own
/// messages, and the machine-readable <c>JOBQUEUE …</c> lines that tests and scripts parse.
/// </summary>
internal static class ConsoleLog
{
    public const string AppHostSource = "apphost";

    private const int PrefixWidth = 20;
    private static readonly int[] Palette = [36, 32, 33, 35, 34, 96, 92, 93, 95, 94];
    private static readonly Dictionary<string, int> Colors = [];
    private static readonly Lock Gate = new();

    /// <summary>Color only on a terminal, and never when NO_COLOR is set (no-color.org).</summary>
    public static bool UseColor { get; } =
        !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));

    /// <summary>One line a process wrote.</summary>
    public static void Line(string source, string line)
    {
        lock (Gate)
        {
            if (UseColor)
            {
                if (!Colors.TryGetValue(ResourceOf(source), out var color))
                {
                    color = Palette[Colors.Count % Palette.Length];
                    Colors[ResourceOf(source)] = color;
                }

                Console.Out.WriteLine($"\e[{color}m{source.PadRight(PrefixWidth)}|\e[0m {line}");
            }
            else
            {
                Console.Out.WriteLine($"{source.PadRight(PrefixWidth)}| {line}");
            }
        }
    }

    public static void Info(string message) => Line(AppHostSource, message);

    public static void Warn(string message) => Emphasis(AppHostSource, message, 33);

    public static void Error(string message) => Emphasis(AppHostSource, message, 31);

    /// <summary>A line printed as is, at the start of the line: <c>JOBQUEUE READY …</c>, the process table.</summary>
    public static void Raw(string line)
    {
        lock (Gate)
        {
            Console.Out.WriteLine(line);
        }
    }

    private static void Emphasis(string source, string message, int color)
    {
        foreach (var line in message.Split('\n'))
        {
            Line(source, UseColor ? $"\e[1;{color}m{line.TrimEnd('\r')}\e[0m" : line.TrimEnd('\r'));
        }
    }

    private static string ResourceOf(string source) => source.Split('#')[0];
}
