using Jobs.Api.Application;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.Storage.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddJobQueueStorage();
builder.AddJobQueueAuthentication();
builder.AddJobsApi();

var app = builder.Build();
if (args is [SchemaMigration.Command])
{
    await using (app)
    {
        return await SchemaMigration.RunAsync(app);
    }
}

app.UseJobQueueApiDefaults();
app.MapDefaultEndpoints();
app.MapJobsApiV1();
app.MapJobsLiveStream();
await app.RunAsync();
return 0;

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
