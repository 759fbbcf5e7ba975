using JobQueue.ServiceDefaults.Auth;
using JobQueue.Storage.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddJobQueueStorage();
builder.AddJobQueueAuthentication();
builder.AddScheduler();

var app = builder.Build();
app.UseJobQueueApiDefaults();
app.MapDefaultEndpoints();
app.MapSchedulerApiV1();
app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
