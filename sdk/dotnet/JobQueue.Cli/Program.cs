using System.CommandLine;
using JobQueue.Cli;
using Spectre.Console;

// In a pipe there is no terminal width: a table as wide as it needs is easier to read with grep than a wrapped one.
if (Console.IsOutputRedirected)
{
    AnsiConsole.Profile.Width = 500;
}

var root = new RootCommand($"""
    jobq: the JobQueue API from the command line.

    Settings: --url / --api-key, else $JOBQUEUE_URL / $JOBQUEUE_API_KEY, else {CliConfig.FilePath}
    (written by `jobq login` or `jobq config set`).

    {ExitCodes.Help}
    """)
{
    GlobalOptions.Url, GlobalOptions.ApiKey, GlobalOptions.Json,
};
foreach (var command in JobCommands.All().Concat(ManageCommands.All()).Concat(AccountCommands.All()))
{
    root.Subcommands.Add(command);
}

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine($"jobq: {error.Message}");
    }

    Console.Error.WriteLine("Try 'jobq --help'.");
    return ExitCodes.Usage;
}

return await parse.InvokeAsync();
