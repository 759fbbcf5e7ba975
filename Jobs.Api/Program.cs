using JobQueue.ServiceDefaults.Auth;
using JobQueue.Storage.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddJobQueueStorage();
builder.AddJobQueueAuthentication();
builder.AddJobsApi();

var app = builder.Build();
app.UseJobQueueApiDefaults();
app.MapDefaultEndpoints();
app.MapJobsApiV1();
app.MapJobsLiveStream();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
