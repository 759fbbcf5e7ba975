using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.InteropServices;
using JobQueue.AppHost.Resources;

namespace JobQueue.AppHost.Hosting;

/// <summary>
/// Runs the declared resources: each starts as soon as what it waits for is healthy (in parallel otherwise), the
/// process table and a <c>JOBQUEUE READY</c> line are printed once all are up, and on Ctrl+C or SIGTERM everything
/// stops in reverse order (a resource stops once everything waiting for it has stopped).
/// </summary>
internal sealed class DistributedApplication(IReadOnlyList<Resource> resources, DistributedApplicationBuilder builder)
{
    public static DistributedApplicationBuilder CreateBuilder(string[] args)
    {
        AppHostOptions options;
        try
        {
            options = AppHostOptions.Parse(args, Environment.GetEnvironmentVariable, RepoLayout.Root);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(AppHostOptions.Usage);
            Environment.Exit(2);
            throw;
        }

        if (options.ShowHelp)
        {
            Console.WriteLine(AppHostOptions.Usage);
            Environment.Exit(0);
        }

        return new DistributedApplicationBuilder(options, Environment.GetEnvironmentVariable);
    }

    /// <summary>Runs until Ctrl+C or SIGTERM; returns the process exit code (1 when something failed to start).</summary>
    public int Run() => RunAsync().GetAwaiter().GetResult();

    private async Task<int> RunAsync()
    {
        using var stopping = new CancellationTokenSource();
        using var force = new CancellationTokenSource();
        var firstSignal = 0L;
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            var now = Environment.TickCount64;
            if (Interlocked.CompareExchange(ref firstSignal, now, 0) == 0)
            {
                ConsoleLog.Info($"{context.Signal} received: stopping (send it again to kill everything at once)");
                stopping.Cancel();
            }
            else if (now - Interlocked.Read(ref firstSignal) > 2000)
            {
                // A Ctrl+C under `dotnet run` arrives twice at once (from the terminal to the whole foreground
                // group, and forwarded by dotnet run): only a later one means "kill now".
                ConsoleLog.Warn("killing everything");
                force.Cancel();
            }
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);

        try
        {
            Preflight();
        }
        catch (Exception e) when (e is MissingBinaryException or PreflightException)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }

        var exitCode = 0;
        try
        {
            await StartAllAsync(stopping.Token);
            PrintReady(await DemoAccountLinesAsync(stopping.Token));
            await Task.Delay(Timeout.Infinite, stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            ConsoleLog.Error(e.Message);
            exitCode = 1;
        }

        await StopAllAsync(force.Token);
        ConsoleLog.Info("stopped");
        return exitCode;
    }

    /// <summary>Fails before anything starts when a server binary or a built service is missing.</summary>
    private void Preflight()
    {
        if (resources.OfType<PostgresServerResource>().Any(r => r.ExternalConnectionString is null))
        {
            PostgresServer.FindBinDirectory();
        }

        if (resources.OfType<RedisResource>().Any(r => r.ExternalConnectionString is null))
        {
            RedisServer.FindExecutable();
        }

        foreach (var project in resources.OfType<ProjectResource>())
        {
            if (project.FixedPort is { } port && !LoopbackPort.IsFree(port))
            {
                throw new PreflightException($"Port {port} for {project.Name} is already in use (another AppHost?): pass --port N or set GATEWAY_PORT.");
            }
        }

        var unbuilt = resources.OfType<ProjectResource>().Where(p => !File.Exists(p.DllPath)).Select(p => p.DllPath).ToList();
        if (unbuilt.Count > 0)
        {
            throw new PreflightException(
                $"Not built: {string.Join(", ", unbuilt)}. Build first: dotnet build {Path.Combine(RepoLayout.Root, "JobQueue.sln")} -c {RepoLayout.Configuration}");
        }
    }

    private async Task StartAllAsync(CancellationToken stopping)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var errors = new ConcurrentQueue<Exception>();
        var tasks = new Dictionary<Resource, Task>();

        // Every task is created here, synchronously: each one first asks for its dependencies' tasks.
        Task Start(Resource resource)
        {
            if (!tasks.TryGetValue(resource, out var task))
            {
                task = StartAfterDependenciesAsync(resource, [.. resource.WaitsFor.Select(Start)]);
                tasks[resource] = task;
            }

            return task;
        }

        async Task StartAfterDependenciesAsync(Resource resource, Task[] dependencies)
        {
            await Task.WhenAll(dependencies);
            try
            {
                await resource.StartAsync(failed.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException || !failed.IsCancellationRequested)
            {
                errors.Enqueue(new InvalidOperationException($"{resource.Name} failed to start: {e.Message}", e));
                await failed.CancelAsync();
                throw;
            }
        }

        foreach (var resource in resources)
        {
            _ = Start(resource);
        }

        try
        {
            await Task.WhenAll(tasks.Values);
        }
        catch when (errors.TryPeek(out var first))
        {
            throw first;
        }
    }

    private async Task StopAllAsync(CancellationToken force)
    {
        var tasks = new Dictionary<Resource, Task>();

        Task Stop(Resource resource)
        {
            if (!tasks.TryGetValue(resource, out var task))
            {
                var dependents = resources.Where(r => r.WaitsFor.Contains(resource)).Select(Stop).ToArray();
                task = StopAfterDependentsAsync(resource, dependents);
                tasks[resource] = task;
            }

            return task;
        }

        async Task StopAfterDependentsAsync(Resource resource, Task[] dependents)
        {
            await Task.WhenAll(dependents);
            try
            {
                await resource.StopAsync(force);
            }
            catch (Exception e)
            {
                ConsoleLog.Error($"{resource.Name} did not stop cleanly: {e.Message}");
            }
        }

        foreach (var resource in resources)
        {
            _ = Stop(resource);
        }

        await Task.WhenAll(tasks.Values);
    }

    /// <summary>In Development (with services), registers or checks the demo account on the billing service.</summary>
    private async Task<IReadOnlyList<string>> DemoAccountLinesAsync(CancellationToken ct)
    {
        if (builder.Options.EnvironmentName != "Development" || builder.Options.NoServices
            || resources.OfType<ProjectResource>().FirstOrDefault(p => p.Name == "billing") is not { Instances.Count: > 0 } billing)
        {
            return [];
        }

        return await DemoAccount.EnsureAsync(billing.Instances[0].Url, builder.Options.DataDirectory, ct);
    }

    private void PrintReady(IReadOnlyList<string> demoAccount)
    {
        var rows = resources.SelectMany(r => r.Rows).ToList();
        ConsoleLog.Raw(string.Empty);
        ConsoleLog.Raw($"{"NAME",-22} {"PID",-8} {"STATE",-9} URL");
        foreach (var row in rows)
        {
            ConsoleLog.Raw($"{row.Name,-22} {row.Pid?.ToString(CultureInfo.InvariantCulture) ?? "-",-8} {row.State,-9} {row.Url}");
        }

        ConsoleLog.Raw(string.Empty);
        foreach (var row in rows.Where(r => r.Pid is not null))
        {
            ConsoleLog.Raw($"JOBQUEUE PROCESS {row.Name} pid={row.Pid} url={row.Url}");
        }

        foreach (var connection in resources.OfType<IResourceWithConnectionString>())
        {
            ConsoleLog.Raw($"JOBQUEUE CONNECTION {connection.ConnectionName} {connection.ConnectionString}");
        }

        var entryPoints = resources.OfType<ProjectResource>().Where(p => p.FixedPort is not null).ToList();
        if (builder.Options.NoServices)
        {
            ConsoleLog.Raw(string.Empty);
            ConsoleLog.Raw("Postgres and Redis are up (--no-services). For a service started by hand:");
            foreach (var connection in resources.OfType<IResourceWithConnectionString>())
            {
                ConsoleLog.Raw($"  export ConnectionStrings__{connection.ConnectionName}='{connection.ConnectionString}'");
            }
        }
        else
        {
            foreach (var entry in entryPoints)
            {
                ConsoleLog.Raw($"{entry.Name}: http://localhost:{entry.FixedPort}");
            }

            if (builder.ServiceEnvironment.TryGetValue("API_KEY", out var apiKey))
            {
                ConsoleLog.Raw($"API key: {apiKey} (Development default; set API_KEY to choose another)");
            }

            foreach (var line in demoAccount)
            {
                ConsoleLog.Raw(line);
            }
        }

        ConsoleLog.Raw("Press Ctrl+C to stop.");
        ConsoleLog.Raw(string.Join(' ', entryPoints.Select(e => $"{e.Name}={e.Instances[0].Url}").Prepend("JOBQUEUE READY")));
    }
}

/// <summary>Something to fix before anything can start; the message says what.</summary>
internal sealed class PreflightException(string message) : Exception(message);
