using PgHa.Server.Hosting;

var app = PgHaServer.Build(args);
PgHaServer.EnsureFirstKey(app, Console.Out);
await app.RunAsync();

/// <summary>Visible to tests.</summary>
public partial class Program;
