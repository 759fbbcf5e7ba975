namespace JobQueue.AppHost.Hosting;

/// <summary>Collects the resources the AppHost declares, Aspire style.</summary>
internal sealed class DistributedApplicationBuilder
{
    /// <summary>The API key every service accepts in Development when API_KEY is not set (the README quickstart uses it).</summary>
    public const string DevelopmentApiKey = "dev-api-key";

    private readonly List<Resource> _resources = [];
    private readonly Func<string, string?> _environment;

    public DistributedApplicationBuilder(AppHostOptions options, Func<string, string?> environment)
    {
        Options = options;
        _environment = environment;
        ServiceEnvironment = new Dictionary<string, string?>
        {
            ["DOTNET_ENVIRONMENT"] = options.EnvironmentName,
            ["ASPNETCORE_ENVIRONMENT"] = options.EnvironmentName,
            ["JOBQUEUE_PARENT_PID"] = System.Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        // One line per log entry reads better behind a "name |" prefix than the default two-line format.
        if (string.IsNullOrEmpty(environment("Logging__Console__FormatterName")))
        {
            ServiceEnvironment["Logging__Console__FormatterName"] = "simple";
            ServiceEnvironment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        }

        if (options.EnvironmentName == "Development" && string.IsNullOrEmpty(environment("API_KEY")))
        {
            ServiceEnvironment["API_KEY"] = DevelopmentApiKey;
        }

        // One signing secret for every service (tokens issued by billing are checked by all), random per install and
        // kept in the data folder so that tokens survive restarts. Outside Development the services refuse to start
        // without a JWT_SECRET of their own.
        if (options.EnvironmentName == "Development" && string.IsNullOrEmpty(environment("JWT_SECRET")))
        {
            ServiceEnvironment["JWT_SECRET"] = DevelopmentSecrets.JwtSecret(options.DataDirectory);
        }
    }

    public AppHostOptions Options { get; }

    /// <summary>Added to every project's inherited environment.</summary>
    public Dictionary<string, string?> ServiceEnvironment { get; }

    /// <summary>A variable of the AppHost's environment.</summary>
    public string? Environment(string name) => _environment(name);

    public IResourceBuilder<T> AddResource<T>(T resource)
        where T : Resource
    {
        if (_resources.Any(r => r.Name == resource.Name))
        {
            throw new InvalidOperationException($"A resource named '{resource.Name}' already exists.");
        }

        _resources.Add(resource);
        return new ResourceBuilder<T>(resource, this);
    }

    /// <summary>Checks the graph, drops the projects under --no-services and chooses every port.</summary>
    public DistributedApplication Build()
    {
        var resources = Options.NoServices ? _resources.Where(r => r is not ProjectResource).ToList() : [.. _resources];
        foreach (var resource in resources)
        {
            resource.WaitsFor.RemoveAll(d => !resources.Contains(d));
        }

        EnsureNoWaitCycle(resources);
        foreach (var project in resources.OfType<ProjectResource>())
        {
            project.SharedEnvironment = ServiceEnvironment;
            project.AllocateEndpoints();
        }

        return new DistributedApplication(resources, this);
    }

    private static void EnsureNoWaitCycle(List<Resource> resources)
    {
        var done = new HashSet<Resource>();
        var path = new List<Resource>();

        void Visit(Resource r)
        {
            if (done.Contains(r))
            {
                return;
            }

            if (path.Contains(r))
            {
                throw new InvalidOperationException($"WaitFor cycle: {string.Join(" -> ", path.SkipWhile(p => p != r).Append(r).Select(p => p.Name))}");
            }

            path.Add(r);
            r.WaitsFor.ForEach(Visit);
            path.RemoveAt(path.Count - 1);
            done.Add(r);
        }

        resources.ForEach(Visit);
    }
}
