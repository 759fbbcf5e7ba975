using Api.Gateway.Extensions;
using JobQueue.ServiceDefaults.Auth;
using JobQueue.Storage.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddJobQueueStorage();
builder.AddJobQueueAuthentication(); // the rate limiter keys a request by its caller
builder.AddGateway();

var app = builder.Build();
app.UseJobQueueApiDefaults();
app.MapDefaultEndpoints();
app.MapApiReference();
app.MapGateway();

app.Run();

/// <summary>Entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
