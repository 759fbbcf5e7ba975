var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();

var app = builder.Build();
app.UseJobQueueApiDefaults();

// Placeholder page until the React app arrives; API-style errors still come from UseJobQueueApiDefaults.
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapDefaultEndpoints();

app.Run();
