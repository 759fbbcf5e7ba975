var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();

var app = builder.Build();
app.UseJobQueueApiDefaults();
app.MapDefaultEndpoints();

app.Run();
