using PgHa.Server.Hosting;

var app = PgHaServer.Build(args);
PgHaServer.EnsureFirstKey(app, Console.Out);
await app.RunAsync();
