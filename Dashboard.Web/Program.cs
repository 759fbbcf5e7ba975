using Dashboard.Web.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddDashboard();

var app = builder.Build();
app.UseJobQueueApiDefaults();
app.MapDefaultEndpoints();
app.MapDashboard();

app.Run();
