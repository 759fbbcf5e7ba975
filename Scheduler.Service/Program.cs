var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddScheduler();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
