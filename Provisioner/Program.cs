var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddNpgsqlDataSource("catalog");
builder.AddRedisClient("cache");

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
