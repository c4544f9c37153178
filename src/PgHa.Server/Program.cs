using PgHa.Server.Hosting;

try
{
    var app = PgHaServer.Build(args);
    PgHaServer.EnsureFirstKey(app, Console.Out);
    await app.RunAsync();
    return 0;
}
catch (ServerConfigurationException e)
{
    // A wrong setting is the operator's to fix: say what, without a stack trace.
    Console.Error.WriteLine("pgha server: " + e.Message);
    return 1;
}
